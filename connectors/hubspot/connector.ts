import { AppError } from '../../src/core/errors.ts';
import { type Mapping, sourcePaths, type WriteBack } from '../../src/mapping/schema.ts';
import { silentLogger } from '../silent-logger.ts';
import type {
  ApiUsage,
  Connector,
  ConnectorLogger,
  CredentialStore,
  DealUpdate,
  FetchOptions,
  FetchPage,
  RawRecord,
  SetupReport,
  SourceField,
  TaskRequest,
  TaskResult,
  WriteResult,
} from '../types.ts';
import { HubSpotApi, type HubSpotUsage } from './api.ts';
import { BATCH_READ_SIZE, chunk, info } from './batching.ts';
import { readHubSpotRates } from './currency-rates.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './decide-retry.ts';
import { describeHubSpotFields } from './describe-fields.ts';
import { DealEnricher, type HubSpotObject } from './enrich.ts';
import { DEFAULT_FETCH, fetchChanges } from './fetch-changes.ts';
import { type Clock, DEFAULT_BUDGET, PortalPacer, type RateBudget, realClock } from './rate-pacer.ts';
import { hubspotRecordUrl } from './record-url.ts';
import { setupProperties } from './setup.ts';
import { readHubSpotTaskStates } from './task-states.ts';
import { LEGACY_TASK_KEY, TaskWriter } from './tasks.ts';
import { TokenManager } from './token-manager.ts';
import { writeRiskFields } from './write-back.ts';

export interface HubSpotConnectorOptions {
  tenantId: string;
  /** A parsed mapping with `source: hubspot` (mappings/hubspot.yaml or a tenant override). */
  mapping: Mapping;
  credentials: CredentialStore;
  /** The app's OAuth client; needed to refresh tokens (not for a private-app token). */
  clientId?: string;
  clientSecret?: string;
  /** API host: the sandbox CRM or nock in tests. Defaults to the credentials' instanceUrl, then api.hubapi.com. */
  basePath?: string;
  /** Calls per 10 s and search calls per second for this portal; defaults: 110/10 s at 90%, search 4/s (HubSpot allows 5). */
  budget?: Partial<RateBudget>;
  retry?: Partial<RetryPolicy>;
  /**
   * Share one pacer between connectors of the same portal in a process (a sync and a
   * webhook-triggered read at once). Without it each connector paces alone, and HubSpot's
   * X-HubSpot-RateLimit-Remaining headers make it yield to calls it did not count.
   */
  pacer?: PortalPacer;
  logger?: ConnectorLogger;
  /** Business time: sync windows, token expiry, DAILY pauses. May be the sandbox clock. */
  now?: () => Date;
  /** Inject with a `now` that it advances (tests): then pacing and retry waits use both. */
  sleep?: (ms: number) => Promise<void>;
  /** Known portal id (for recordUrl before the credentials are read). */
  portalId?: string;
  /** The portal's UTC offset in ms (account-info), so a DAILY pause lasts until its midnight. */
  utcOffsetMs?: number;
  overlapMs?: number;
  archivedEveryMs?: number;
  /** Search cap per query; only tests lower it. */
  searchCap?: number;
}

export interface HubSpotConnector extends Connector {
  /** Per-operation call counts, retries, waits and the last rate-limit headers. */
  hubspotUsage(): HubSpotUsage;
  /** The portal (hub) id once known. */
  portalId(): string | null;
  /**
   * Named deals now (webhook-triggered rescoring), 50 per batch read, enriched like
   * fetchChanges. Ids HubSpot no longer has (deleted, merged away) come back in `missingIds`.
   */
  fetchDealsById(ids: string[]): Promise<{ records: RawRecord[]; missingIds: string[] }>;
  /** Deal properties (properties API) and the `_derived` values enrich.ts adds. */
  describeFields(): Promise<SourceField[]>;
}

/** Properties the connector itself relies on, whatever the mapping reads. */
const ALWAYS_READ = [
  'hs_object_id',
  'hs_lastmodifieddate',
  'dealstage',
  'pipeline',
  'hs_is_closed',
  'hs_is_closed_won',
  'hubspot_owner_id',
];

/** The deal properties to request: the mapping's source paths that name a property, plus ALWAYS_READ. */
export function dealProperties(mapping: Mapping): string[] {
  return [...new Set([...ALWAYS_READ, ...sourcePaths(mapping).filter((p) => /^[a-z0-9_]+$/i.test(p))])];
}

function requireWriteBack(mapping: Mapping): WriteBack {
  if (!mapping.writeBack)
    throw new AppError('mapping_invalid', 'HubSpot mapping has no writeBack section: nothing says which properties to write', {
      path: 'writeBack',
    });
  return mapping.writeBack;
}

/**
 * The HubSpot connector: the real @hubspot/api-client behind a per-portal paced client that is
 * the single retry owner. See docs/hubspot.md for the install, scopes and the card.
 */
export function createHubSpotConnector(o: HubSpotConnectorOptions): HubSpotConnector {
  if (o.mapping.source !== 'hubspot') {
    throw new AppError('mapping_invalid', `HubSpot connector for tenant ${o.tenantId} got a mapping for ${o.mapping.source}`, {
      path: 'source',
    });
  }
  const now = o.now ?? (() => new Date());
  // Pacing runs on real time unless a test injects sleep (and then a coherent `now`): a
  // business clock that only moves on request (the sandbox's) must never drive the pacer.
  const clock: Clock = o.sleep ? { now: () => now().getTime(), sleep: o.sleep } : realClock;
  const log = o.logger ?? silentLogger;
  let portal: string | null = o.portalId ?? null;

  const store: CredentialStore = {
    load: async () => {
      const c = await o.credentials.load();
      portal ??= c.accountId ?? null;
      return c;
    },
    save: (c) => o.credentials.save(c),
    markNeedsReauth: (reason) => o.credentials.markNeedsReauth(reason),
  };
  const tokens = new TokenManager({ store, clientId: o.clientId, clientSecret: o.clientSecret, apiBase: o.basePath, now });
  const api = new HubSpotApi({
    tokens,
    pacer: o.pacer ?? new PortalPacer({ ...DEFAULT_BUDGET, ...o.budget }, clock),
    clock,
    now,
    basePath: o.basePath,
    retry: { ...DEFAULT_RETRY_POLICY, ...o.retry },
    logger: log,
    utcOffsetMs: o.utcOffsetMs,
  });
  let enricher: DealEnricher | null = null;
  let tasks: TaskWriter | null = null;
  const legacyKeyField = o.mapping.writeBack?.tasks.keyField ?? LEGACY_TASK_KEY;

  return {
    source: 'hubspot',
    mapping: o.mapping,

    async setup(): Promise<SetupReport> {
      return setupProperties(api, requireWriteBack(o.mapping));
    },

    async *fetchChanges(opts: FetchOptions): AsyncIterable<FetchPage> {
      enricher ??= new DealEnricher(api, o.mapping, log);
      yield* fetchChanges(
        {
          api,
          enricher,
          properties: dealProperties(o.mapping),
          now,
          log,
          overlapMs: o.overlapMs ?? DEFAULT_FETCH.overlapMs,
          archivedEveryMs: o.archivedEveryMs ?? DEFAULT_FETCH.archivedEveryMs,
          searchPageSize: DEFAULT_FETCH.searchPageSize,
          searchCap: o.searchCap ?? DEFAULT_FETCH.searchCap,
        },
        opts,
      );
    },

    async writeBack(updates: DealUpdate[]): Promise<WriteResult[]> {
      if (updates.length === 0) return [];
      return writeRiskFields(api, requireWriteBack(o.mapping).fields, updates, log);
    },

    describeFields(): Promise<SourceField[]> {
      return describeHubSpotFields(api, new Set(Object.values(o.mapping.writeBack?.fields ?? {})));
    },

    async upsertTasks(requests: TaskRequest[]): Promise<TaskResult[]> {
      if (requests.length === 0) return [];
      if (o.mapping.writeBack && !o.mapping.writeBack.tasks.enabled) {
        return requests.map((t) => ({
          key: t.key,
          ok: false,
          status: 'failed',
          error: { code: 'TASKS_DISABLED', message: 'tasks are disabled in the mapping', retryable: false },
        }));
      }
      tasks ??= new TaskWriter(api, legacyKeyField, log);
      return tasks.upsert(requests);
    },

    usage(): ApiUsage {
      const u = api.usage();
      return {
        calls: u.calls,
        rateLimited: u.rateLimited,
        ...(u.daily?.limit !== undefined && u.daily.remaining !== undefined
          ? { used: u.daily.limit - u.daily.remaining, limit: u.daily.limit }
          : {}),
      };
    },

    hubspotUsage(): HubSpotUsage {
      return api.usage();
    },

    portalId: () => portal,

    async fetchByIds(ids: readonly string[]): Promise<FetchPage> {
      const r = await this.fetchDealsById([...ids]);
      // A batch read leaves out archived deals: gone from the pipeline, as a deletion webhook says.
      return { records: r.records, deletedIds: r.missingIds, cursor: null };
    },

    readCurrencyRates: () => readHubSpotRates(api),

    readTaskStates: (q) => readHubSpotTaskStates(api, q),

    async fetchDealsById(ids: string[]) {
      enricher ??= new DealEnricher(api, o.mapping, log);
      const found: HubSpotObject[] = [];
      for (const part of chunk([...new Set(ids)], BATCH_READ_SIZE)) {
        const r = await api.call({ budget: 'standard', op: 'batch read deals', idempotent: true }, async (c) =>
          info(
            await c.crm.deals.batchApi.readWithHttpInfo(
              { inputs: part.map((id) => ({ id })), properties: dealProperties(o.mapping), propertiesWithHistory: [] },
              false,
            ),
          ),
        );
        found.push(...(r.data.results as unknown as HubSpotObject[]));
      }
      const have = new Set(found.map((d) => d.id));
      return { records: await enricher.enrich(found), missingIds: ids.filter((id) => !have.has(id)) };
    },

    recordUrl(externalId: string): string | null {
      return hubspotRecordUrl(portal, externalId);
    },
  };
}
