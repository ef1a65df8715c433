import { z } from 'zod';
import type { ChangedIds, FetchPage, RawRecord } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import type { HistoryEnricher } from './history.ts';
import { isDeletedRow, modstampOf, type SfRow, toRawRecord } from './records.ts';
import { changedOpportunitiesQuery, chunkForUri, IN_LIST_MAX, opportunitiesByIdQuery, SYSTEM_FIELDS, selectList } from './soql.ts';

export interface ByIdDeps {
  api: SalesforceApi;
  enricher: HistoryEnricher;
  /** Source paths the mapping reads (sourcePaths(mapping)). */
  paths: readonly string[];
  warn: (message: string) => void;
}

const isOptional = (field: string): boolean => !(SYSTEM_FIELDS as readonly string[]).includes(field);

/**
 * Named opportunities now, enriched as fetchChanges enriches them. queryAll also returns those in
 * the recycle bin (IsDeleted), which leave the pipeline; an id Salesforce does not return at all
 * (emptied from the bin, merged away, or hidden from the integration user) leaves it too.
 */
export async function fetchOpportunitiesById(deps: ByIdDeps, ids: readonly string[], signal?: AbortSignal): Promise<FetchPage> {
  const wanted = [...new Set(ids)];
  const fields = selectList(deps.paths);
  const records: RawRecord[] = [];
  const deletedIds: string[] = [];
  const seen = new Set<string>();
  for (const part of chunkForUri(wanted, IN_LIST_MAX, (c) => opportunitiesByIdQuery(fields, c))) {
    signal?.throwIfAborted();
    const { page } = await deps.api.queryDroppingFields<SfRow>((f) => opportunitiesByIdQuery(f, part), fields, isOptional, {
      all: true,
      onDrop: (_f, reason) => deps.warn(reason),
    });
    let rows = page.records;
    let next = page;
    while (!next.done && next.nextRecordsUrl) {
      next = await deps.api.queryMore<SfRow>(next.nextRecordsUrl);
      rows = rows.concat(next.records);
    }
    const batch: RawRecord[] = [];
    for (const row of rows) {
      const rec = toRawRecord(row);
      seen.add(rec.id);
      if (isDeletedRow(row)) deletedIds.push(rec.id);
      else batch.push(rec);
    }
    await deps.enricher.enrich(batch, 'id');
    records.push(...batch);
  }
  // Salesforce answers with 18-character ids; a 15-character one asked for is the same record.
  const found = (id: string) => seen.has(id) || [...seen].some((s) => s.slice(0, 15) === id);
  for (const id of wanted) if (!found(id)) deletedIds.push(id);
  return { records, deletedIds, cursor: null };
}

/**
 * Where the change poll resumes: changes at or after `at` except `ids` (those already seen at
 * `at` itself), or, with `after`, strictly after `at` (a mark placed past changes left to the
 * regular sync).
 */
const Mark = z.object({ v: z.literal(1), at: z.iso.datetime(), ids: z.array(z.string()), after: z.boolean().default(false) });
type Mark = z.infer<typeof Mark>;

const encodeMark = (m: Mark): string => JSON.stringify(m);

function decodeMark(mark: string | null): Mark | null {
  if (!mark) return null;
  try {
    const r = Mark.safeParse(JSON.parse(mark));
    return r.success ? r.data : null;
  } catch {
    // A mark this version cannot read starts the poll afresh; the hourly sync covers the gap.
    return null;
  }
}

/** A mark past the latest change: what is changed up to now is the regular sync's to read. */
async function markAfterLatest(api: SalesforceApi): Promise<string> {
  const top = (await api.query<SfRow>(changedOpportunitiesQuery(null, 1), { all: true })).records[0];
  const at = top ? (modstampOf(top) ?? new Date(0)) : new Date(0);
  return encodeMark({ v: 1, at: at.toISOString(), ids: [], after: true });
}

/**
 * Ids of opportunities changed since the mark, for the worker's change poll (Salesforce sends
 * no webhook; Change Data Capture needs a streaming client and an edition or add-on that not every
 * org has). One queryAll per poll, oldest change first: `SystemModstamp >= at`, skipping the ids
 * already seen at `at` itself, so changes in the same second as the mark are neither lost nor
 * read twice. Deletions change SystemModstamp too and come back with the rest. More than `limit`
 * (a mass update, or the echoes of a large write-back) returns none and moves the mark past them:
 * the regular sync reads those, cheaper per record than reading each by id.
 */
export async function changedOpportunityIds(api: SalesforceApi, mark: string | null, limit: number): Promise<ChangedIds> {
  const m = decodeMark(mark);
  if (!m) return { ids: [], more: false, mark: await markAfterLatest(api) };
  const since = new Date(m.at);
  const page = await api.query<SfRow>(changedOpportunitiesQuery(since, limit + 1 + m.ids.length, m.after), { all: true });
  const stamped = page.records.map((r) => ({ id: String(r.Id), at: modstampOf(r)?.getTime() ?? since.getTime() }));
  const fresh = stamped.filter((r) => !(r.at === since.getTime() && m.ids.includes(r.id)));
  // A first batch cut short (a page holds at most 2,000 rows) also means more than we read.
  if (fresh.length > limit || !page.done) return { ids: [], more: true, mark: await markAfterLatest(api) };
  if (fresh.length === 0) return { ids: [], more: false, mark: mark! };
  const last = fresh[fresh.length - 1]!.at;
  const atLast = [...(last === since.getTime() && !m.after ? m.ids : []), ...fresh.filter((r) => r.at === last).map((r) => r.id)];
  return {
    ids: fresh.map((r) => r.id),
    more: false,
    mark: encodeMark({ v: 1, at: new Date(last).toISOString(), ids: [...new Set(atLast)], after: false }),
  };
}
