import type { ValueType } from '../../src/mapping/schema.ts';
import type { SourceField } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { info } from './batching.ts';
import { COMPANY_PROPERTIES } from './enrich.ts';
import type { DerivedHistory } from './history.ts';
import type { OwnerInfo } from './owners.ts';
import type { StageInfo } from './pipelines.ts';

type Derived = { label: string; type: string; valueType: ValueType; options?: string[] };

/** How the mapping reads each HubSpot property type unless told otherwise (properties API `type`). */
export function hubspotValueType(type: string): ValueType {
  switch (type) {
    case 'number':
      return 'number';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'bool':
      return 'boolean';
    default:
      return 'string';
  }
}

/** `_derived.stage.*` from the pipelines API (pipelines.ts); keyed by StageInfo so a new key needs a line here. */
const STAGE: Record<keyof StageInfo, Derived> = {
  id: { label: 'Stage id', type: 'string', valueType: 'string' },
  label: { label: 'Stage label (pipelines API)', type: 'string', valueType: 'string' },
  status: {
    label: 'Stage status: open, won or lost (the stage’s isClosed and probability)',
    type: 'enumeration',
    valueType: 'string',
    options: ['open', 'won', 'lost'],
  },
  order: { label: 'Stage position in its pipeline', type: 'number', valueType: 'number' },
  probability: { label: 'Stage win probability, 0 to 1', type: 'number', valueType: 'fraction' },
  pipelineId: { label: 'Pipeline id', type: 'string', valueType: 'string' },
  pipelineLabel: { label: 'Pipeline label (pipelines API)', type: 'string', valueType: 'string' },
};

const HISTORY: Record<keyof DerivedHistory, Derived> = {
  stageHistory: { label: 'Stage history (dealstage history)', type: 'stage history', valueType: 'stage_history' },
  stageEnteredAt: { label: 'Entered the current stage (dealstage history)', type: 'datetime', valueType: 'datetime' },
  closeDatePushes: { label: 'Close date pushed later (closedate history)', type: 'number', valueType: 'number' },
};

const OWNER: Record<keyof OwnerInfo, Derived> = {
  id: { label: 'Owner id (owners API)', type: 'string', valueType: 'string' },
  name: { label: 'Owner name (owners API)', type: 'string', valueType: 'string' },
  email: { label: 'Owner email (owners API)', type: 'string', valueType: 'string' },
};

/**
 * Types of the company properties the connector reads (COMPANY_PROPERTIES), as HubSpot defines
 * these default properties. Listed here rather than read from the companies properties API,
 * which needs `crm.schemas.companies.read`, a scope the install does not ask for; a company
 * property outside COMPANY_PROPERTIES is never read, so offering it would only map to empty.
 */
export const COMPANY_TYPES: Record<string, { label: string; type: string; valueType: ValueType }> = {
  id: { label: 'Record ID', type: 'string', valueType: 'string' },
  name: { label: 'Company name', type: 'string', valueType: 'string' },
  industry: { label: 'Industry', type: 'enumeration', valueType: 'string' },
  country: { label: 'Country/Region', type: 'string', valueType: 'string' },
  state: { label: 'State/Region', type: 'string', valueType: 'string' },
  city: { label: 'City', type: 'string', valueType: 'string' },
  numberofemployees: { label: 'Number of Employees', type: 'number', valueType: 'number' },
  annualrevenue: { label: 'Annual Revenue', type: 'number', valueType: 'number' },
};

/** One property as the properties API lists it. */
interface Property {
  name: string;
  label: string;
  type: string;
  options?: Array<{ value: string; hidden?: boolean }>;
  archived?: boolean;
}

const derived = (prefix: string, table: Record<string, Derived>, labelPrefix = ''): SourceField[] =>
  Object.entries(table).map(([k, d]) => ({
    name: `_derived.${prefix}${k}`,
    label: `${labelPrefix}${d.label}`,
    type: d.type,
    valueType: d.valueType,
    origin: 'derived' as const,
    ...(d.options ? { options: d.options } : {}),
  }));

/**
 * The deal properties (`GET /crm/v3/properties/deals`, `crm.schemas.deals.read`, the call setup
 * already makes) except the ones dealrisk writes (`exclude`: reading our own score back would
 * feed the model its output), then what enrich.ts adds under `_derived`: stage facts, history,
 * the closing date, the owner and the primary company's properties.
 */
export async function describeHubSpotFields(api: HubSpotApi, exclude: ReadonlySet<string>): Promise<SourceField[]> {
  const r = await api.call({ budget: 'standard', op: 'read deal properties', idempotent: true }, async (c) =>
    info(await c.crm.properties.coreApi.getAllWithHttpInfo('deals', false)),
  );
  const properties = (r.data.results as unknown as Property[]).filter((p) => !p.archived && !exclude.has(p.name));
  const out: SourceField[] = properties.map((p) => {
    const options = (p.options ?? []).filter((o) => !o.hidden).map((o) => o.value);
    return {
      name: p.name,
      label: p.label,
      type: p.type,
      valueType: hubspotValueType(p.type),
      origin: 'field',
      ...(options.length ? { options } : {}),
    };
  });
  out.push(...derived('stage.', STAGE));
  out.push({
    name: '_derived.closedAt',
    label: 'Closed at (closedate once the stage is closed)',
    type: 'datetime',
    valueType: 'datetime',
    origin: 'derived',
  });
  out.push(...derived('', HISTORY));
  out.push(...derived('owner.', OWNER));
  const company = Object.fromEntries(
    ['id', ...COMPANY_PROPERTIES].map((k) => [k, COMPANY_TYPES[k] ?? { label: k, type: 'string', valueType: 'string' as const }]),
  );
  out.push(...derived('company.', company, 'Primary company: '));
  return out;
}
