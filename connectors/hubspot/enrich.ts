import type { Mapping } from '../../src/mapping/schema.ts';
import { silentLogger } from '../silent-logger.ts';
import type { ConnectorLogger, RawRecord } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { readAssociations } from './associations.ts';
import { BATCH_READ_SIZE, chunk, info } from './batching.ts';
import { deriveHistory, type HistoryEntry } from './history.ts';
import { OwnerDirectory, type OwnerInfo } from './owners.ts';
import { buildStageMap, fallbackStage, type StageMap } from './pipelines.ts';

/** A CRM object as the list, search and batch-read endpoints return it. */
export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  propertiesWithHistory?: Record<string, HistoryEntry[]>;
  updatedAt?: Date | string;
  archivedAt?: Date | string;
}

/** Company facts we keep under `_derived.company` for account.industry / region / size. */
export const COMPANY_PROPERTIES = ['name', 'industry', 'country', 'state', 'city', 'numberofemployees', 'annualrevenue'];
/** HubSpot's default association type for a deal's primary company. */
const PRIMARY_DEAL_TO_COMPANY = 5;

function mappingReads(mapping: Mapping, prefix: string): boolean {
  for (const spec of Object.values(mapping.fields)) {
    const from = spec.from === undefined ? [] : Array.isArray(spec.from) ? spec.from : [spec.from];
    const tpl = spec.template ? [...spec.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!) : [];
    if ([...from, ...tpl].some((p) => p.startsWith(prefix))) return true;
  }
  return false;
}

/** Extra reads are spent only on what the mapping actually uses. */
export function enrichmentNeeds(mapping: Mapping): { history: boolean; companies: boolean; owners: boolean } {
  return {
    history: ['_derived.stageHistory', '_derived.stageEnteredAt', '_derived.closeDatePushes'].some((p) => mappingReads(mapping, p)),
    companies: mappingReads(mapping, '_derived.company'),
    owners: mappingReads(mapping, '_derived.owner'),
  };
}

const parseWhen = (v: unknown): Date | null => {
  if (v instanceof Date) return v;
  if (typeof v !== 'string' || !v) return null;
  const d = new Date(/^\d{11,14}$/.test(v) ? Number(v) : v);
  return Number.isNaN(d.getTime()) ? null : d;
};

/**
 * Turns a page of deals into RawRecords: stage facts from the pipelines API under
 * `_derived.stage`, stage/close-date history and the primary company from batch reads
 * (50 objects or 100 associations per call, never one call per deal), the owner's name from the owners list (once a run).
 */
export class DealEnricher {
  private stages: StageMap | null = null;
  private reloadedForUnknown = false;
  private readonly needs: ReturnType<typeof enrichmentNeeds>;
  private readonly owners: OwnerDirectory;

  constructor(
    private readonly api: HubSpotApi,
    mapping: Mapping,
    log: ConnectorLogger = silentLogger,
  ) {
    this.needs = enrichmentNeeds(mapping);
    this.owners = new OwnerDirectory(api, log);
  }

  async stageMap(): Promise<StageMap> {
    if (!this.stages) {
      const r = await this.api.call({ budget: 'standard', op: 'read pipelines', idempotent: true }, async (c) =>
        info(await c.crm.pipelines.pipelinesApi.getAllWithHttpInfo('deals')),
      );
      this.stages = buildStageMap(r.data.results.map((p) => ({ id: p.id, label: p.label, stages: p.stages })));
    }
    return this.stages;
  }

  async enrich(objects: readonly HubSpotObject[]): Promise<RawRecord[]> {
    if (objects.length === 0) return [];
    let stages = await this.stageMap();
    if (!this.reloadedForUnknown && objects.some((o) => o.properties.dealstage && !stages.has(o.properties.dealstage))) {
      // A stage added since we read the pipelines: read them once more this run.
      this.reloadedForUnknown = true;
      this.stages = null;
      stages = await this.stageMap();
    }
    const ids = objects.map((o) => o.id);
    const history = this.needs.history ? await this.readHistory(ids) : new Map<string, HubSpotObject>();
    const companies = this.needs.companies ? await this.readCompanies(ids) : new Map<string, Record<string, string | null>>();
    const ownerIds = objects.map((o) => o.properties.hubspot_owner_id).filter((id): id is string => !!id);
    const owners = this.needs.owners && ownerIds.length ? await this.owners.lookup(ownerIds) : new Map<string, OwnerInfo>();
    return objects.map((o) => {
      const stageId = o.properties.dealstage ?? null;
      const stage = (stageId && stages.get(stageId)) || fallbackStage(stageId, o.properties);
      // closedate is the expected date while open, the actual date once closed.
      const closedAt = stage && stage.status !== 'open' ? (o.properties.closedate ?? null) : null;
      const derived: Record<string, unknown> = { stage, closedAt };
      const h = history.get(o.id)?.propertiesWithHistory;
      if (h) Object.assign(derived, deriveHistory({ dealstage: h.dealstage, closedate: h.closedate }, stages));
      else if (this.needs.history) derived.stageHistory = []; // gone between search and batch read: no history known
      const company = companies.get(o.id);
      if (company) derived.company = company;
      const owner = owners.get(o.properties.hubspot_owner_id ?? '');
      if (owner) derived.owner = owner;
      return {
        id: o.id,
        data: { ...o.properties, _derived: derived },
        modifiedAt: parseWhen(o.properties.hs_lastmodifieddate) ?? parseWhen(o.updatedAt),
      };
    });
  }

  private async readHistory(ids: string[]): Promise<Map<string, HubSpotObject>> {
    const out = new Map<string, HubSpotObject>();
    for (const part of chunk(ids, BATCH_READ_SIZE)) {
      const r = await this.api.call({ budget: 'standard', op: 'batch read deal history', idempotent: true }, async (c) =>
        info(
          await c.crm.deals.batchApi.readWithHttpInfo({
            inputs: part.map((id) => ({ id })),
            properties: ['dealstage', 'closedate'],
            propertiesWithHistory: ['dealstage', 'closedate'],
          }),
        ),
      );
      for (const o of r.data.results as unknown as HubSpotObject[]) out.set(o.id, o);
    }
    return out;
  }

  private async readCompanies(dealIds: string[]): Promise<Map<string, Record<string, string | null>>> {
    const companyOf = new Map<string, string>();
    for (const [deal, links] of await readAssociations(this.api, 'deals', 'companies', dealIds, 'batch read deal companies')) {
      const primary = links.find((l) => l.typeIds.includes(PRIMARY_DEAL_TO_COMPANY)) ?? links[0];
      if (primary) companyOf.set(deal, primary.id);
    }
    const byCompany = new Map<string, Record<string, string | null>>();
    for (const part of chunk([...new Set(companyOf.values())], BATCH_READ_SIZE)) {
      const r = await this.api.call({ budget: 'standard', op: 'batch read companies', idempotent: true }, async (c) =>
        info(
          await c.crm.companies.batchApi.readWithHttpInfo({
            inputs: part.map((id) => ({ id })),
            properties: COMPANY_PROPERTIES,
            propertiesWithHistory: [],
          }),
        ),
      );
      for (const co of r.data.results) {
        const p = co.properties as Record<string, string | null>;
        byCompany.set(co.id, { id: co.id, ...Object.fromEntries(COMPANY_PROPERTIES.map((k) => [k, p[k] ?? null])) });
      }
    }
    const out = new Map<string, Record<string, string | null>>();
    for (const [deal, company] of companyOf) {
      const facts = byCompany.get(company);
      if (facts) out.set(deal, facts);
    }
    return out;
  }
}
