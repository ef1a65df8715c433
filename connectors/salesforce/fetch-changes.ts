import { AppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, FetchOptions, FetchPage, RawRecord } from '../types.ts';
import type { QueryPage, SalesforceApi } from './api.ts';
import { type BulkOptions, bulkBackfill } from './bulk-query.ts';
import { CursorTracker, decodeCursor } from './cursor.ts';
import type { HistoryEnricher } from './history.ts';
import { isDeletedRow, type SfRow, toRawRecord } from './records.ts';
import { opportunityCountQuery, opportunityQuery, SYSTEM_FIELDS, selectList } from './soql.ts';

export interface FetchDeps {
  api: SalesforceApi;
  enricher: HistoryEnricher;
  /** Source paths the mapping reads (sourcePaths(mapping)). */
  paths: readonly string[];
  overlapMs: number;
  bulkThreshold: number;
  bulk: BulkOptions;
  log: ConnectorLogger;
  warn: (message: string) => void;
}

const isOptional = (field: string): boolean => !(SYSTEM_FIELDS as readonly string[]).includes(field);

/**
 * Changed opportunities since the cursor, one page per Salesforce query batch (at most 2,000 rows,
 * fewer for wide rows).
 * A first sync reads everything (Bulk API 2.0 above `bulkThreshold` rows); later syncs query
 * with queryAll after the cursor's keyset, re-reading the overlap window only when the
 * previous query ran within the overlap of the last change (CursorTracker.resume), so deleted
 * opportunities arrive in the same pages as `deletedIds`. Record versions already delivered
 * are skipped (before their history queries), and the cursor on each page is safe to persist
 * once that page is stored.
 */
export async function* fetchChanges(deps: FetchDeps, opts: FetchOptions): AsyncGenerator<FetchPage> {
  const start = decodeCursor(opts.cursor);
  const tracker = new CursorTracker(start, deps.overlapMs);
  if (!start && deps.bulkThreshold >= 0) {
    const total = (await deps.api.query<never>(opportunityCountQuery())).totalSize;
    if (total > deps.bulkThreshold) {
      deps.log.info('salesforce backfill through Bulk API 2.0', { total });
      const pages = bulkBackfill(deps, tracker, opts.signal);
      let delivered = false;
      try {
        for await (const page of pages) {
          delivered = true;
          yield page;
        }
        return;
      } catch (e) {
        // A failed job before any page was handed over falls back to REST paging.
        if (delivered || !(e instanceof AppError) || e.details.bulkFallback !== true) throw e;
        deps.warn(`Bulk API 2.0 backfill failed (${e.message}); reading through the REST query API instead`);
      }
    }
  }
  yield* restChanges(deps, tracker, start !== null, opts.signal);
}

async function* restChanges(
  deps: FetchDeps,
  tracker: CursorTracker,
  incremental: boolean,
  signal?: AbortSignal,
): AsyncGenerator<FetchPage> {
  const resume = tracker.resume();
  const since = resume.kind === 'window' ? resume.from : null;
  const after = resume.kind === 'after' ? { ts: resume.ts, lastId: resume.lastId } : undefined;
  const startedAt = Date.now();
  const { page: first } = await deps.api.queryDroppingFields<SfRow>(
    (fields) => opportunityQuery({ fields, since, after }),
    selectList(deps.paths),
    isOptional,
    // queryAll also returns rows in the recycle bin (IsDeleted = true): deletes in the same pages.
    { all: incremental, onDrop: (_f, reason) => deps.warn(reason) },
  );
  tracker.setQueriedAt(queryTime(deps, startedAt, tracker));
  let page: QueryPage<SfRow> = first;
  for (;;) {
    signal?.throwIfAborted();
    const out = await toPage(deps, tracker, page.records);
    if (out) yield out;
    if (page.done || !page.nextRecordsUrl) return;
    page = await deps.api.queryMore<SfRow>(page.nextRecordsUrl);
  }
}

/**
 * When the change query ran, on the CRM's clock: the HTTP `Date` header of its response (jsforce
 * drops headers; the meter keeps the last response's). It is at or after the moment the query
 * saw the data (later by the query's own duration, and truncated to the second), well inside
 * the overlap. Without the header, our clock at query start minus one overlap as allowance for
 * clock skew, never below the cursor.
 */
function queryTime(deps: FetchDeps, startedAt: number, tracker: CursorTracker): Date {
  const raw = deps.api.meter.lastHeaders.date;
  const header = Date.parse((Array.isArray(raw) ? raw[0] : raw) ?? '');
  if (Number.isFinite(header)) return new Date(header);
  return new Date(Math.max(tracker.since()?.getTime() ?? 0, startedAt - deps.overlapMs));
}

/** Splits a batch into live records and deleted ids, skipping versions already delivered. */
async function toPage(deps: FetchDeps, tracker: CursorTracker, rows: SfRow[]): Promise<FetchPage | null> {
  const records: RawRecord[] = [];
  const deleted: RawRecord[] = [];
  for (const row of rows) {
    const rec = toRawRecord(row);
    if (tracker.has(rec.id, rec.modifiedAt)) continue;
    (isDeletedRow(row) ? deleted : records).push(rec);
  }
  if (!records.length && !deleted.length) return null;
  await deps.enricher.enrich(records, 'modstamp');
  for (const r of [...records, ...deleted]) tracker.add(r.id, r.modifiedAt);
  return { records, deletedIds: deleted.map((r) => r.id), cursor: tracker.cursor() };
}
