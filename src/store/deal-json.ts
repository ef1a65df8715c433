import { z } from 'zod';
import { type Deal, DealType, ExtraValue, Source, StageStatus } from '../core/deal.ts';
import { parseStored, storedDate } from './stored-json.ts';

/** A Deal as stored in jsonb: JSON.stringify turns its Dates into ISO strings. */
export const dealToJson = (deal: Deal): string => JSON.stringify(deal);

const text = z.string().nullable().default(null);
const num = z.number().nullable().default(null);
const date = storedDate.nullable().default(null);

/**
 * `deals.data` and `deal_snapshots.data`: a Deal as the sync stored it, dates as ISO strings.
 * Types only: the plausibility bounds of `Deal` were checked when the deal was stored, and a rule
 * added since must not make yesterday's rows unreadable. Fields added to Deal since a row was
 * written read as their defaults.
 */
export const StoredDeal: z.ZodType<Deal, unknown> = z.object({
  tenantId: z.string(),
  source: Source,
  externalId: z.string(),
  name: text,
  amount: num,
  currency: text,
  stage: z.object({ label: text, status: StageStatus, order: num }),
  pipeline: text,
  createdAt: date,
  expectedCloseDate: date,
  closedAt: date,
  owner: z.object({ id: text, name: text }).default({ id: null, name: null }),
  account: z
    .object({ id: text, name: text, industry: text, region: text, country: text, size: text })
    .default({ id: null, name: null, industry: null, region: null, country: null, size: null }),
  product: text,
  leadSource: text,
  dealType: DealType.nullable().default(null),
  forecastCategory: text,
  crmProbability: num,
  lastActivityAt: date,
  activityCount: num,
  contactsCount: num,
  stageEnteredAt: date,
  closeDatePushes: num,
  nextStep: text,
  modifiedAt: date,
  stageHistory: z.array(z.object({ stage: z.string(), status: StageStatus, order: num, enteredAt: storedDate })).default([]),
  extras: z.record(z.string(), ExtraValue).default({}),
});

/**
 * The Deal a `deals` or `deal_snapshots` row holds. A row that is not one fails naming the table,
 * the row (`tenant/source/externalId` as stored, or `rowId`) and the field.
 */
export function dealFromJson(json: unknown, table: 'deals' | 'deal_snapshots' = 'deals', rowId?: string): Deal {
  return parseStored(StoredDeal, json, { table, row: rowId ?? rowOf(json), column: 'data' });
}

function rowOf(json: unknown): string {
  const d = (json ?? {}) as { tenantId?: unknown; source?: unknown; externalId?: unknown };
  return [d.tenantId, d.source, d.externalId].map((v) => (typeof v === 'string' ? v : '?')).join('/');
}
