import type { FetchPage } from '../../../connectors/types.ts';
import type { Deal } from '../../core/deal.ts';
import { dealInputHash } from '../../core/deal-hash.ts';
import { storableText, storableValue } from '../../core/storable-text.ts';
import { type CompiledMapping, compileMapping } from '../../mapping/to-deal.ts';
import type { DealWrite } from '../../store/repos/deals.ts';
import { ANALYZE_AFTER, checkAborted, MAX_REJECTED_KEPT, type RunState, rejectRecord } from '../run-state.ts';

/**
 * fetch changed → map → store deals + snapshots, page by page. The cursor is saved only after
 * its page is stored, so a crash re-reads at most one page. A record that cannot be mapped or
 * stored is rejected alone, by name; text the database cannot hold is cleaned and noted.
 */
export async function fetchAndStore(run: RunState): Promise<void> {
  const { ctx, connector, tenantId, connection } = run;
  const map = compileMapping(connector.mapping);
  for await (const page of connector.fetchChanges({ cursor: connection.cursor, signal: run.signal })) {
    checkAborted(run);
    const now = await storePage(run, page, map);
    await run.probe('page-stored');
    if (page.cursor !== null && page.cursor !== connection.cursor) {
      await ctx.store.connections.update(tenantId, connection.id, { cursor: page.cursor }, now);
      connection.cursor = page.cursor;
      await run.probe('cursor-saved');
    }
  }
  if (run.counts.stored >= ANALYZE_AFTER) await ctx.store.syncState.analyze();
}

/**
 * Real time: the deals a webhook or a change poll named (`run.only`), read by id, then mapped and
 * stored as a page of changes is. No cursor moves: the regular sync still reads them in its turn
 * (unchanged by then, so nothing is scored or written twice).
 */
export async function fetchListedAndStore(run: RunState): Promise<void> {
  const { connector } = run;
  if (!run.only || !connector.fetchByIds) throw new Error('fetchListedAndStore needs run.only and a connector that reads by id');
  const page = await connector.fetchByIds(run.only, { signal: run.signal });
  checkAborted(run);
  await storePage(run, page, compileMapping(connector.mapping));
  await run.probe('page-stored');
}

/** One page: unreadable records rejected, the rest mapped, stored and snapshotted; deleted ids leave. Returns its "now". */
async function storePage(run: RunState, page: FetchPage, map: CompiledMapping): Promise<Date> {
  const { ctx, tenantId } = run;
  run.counts.fetched += page.records.length + (page.unreadable?.length ?? 0);
  for (const u of page.unreadable ?? [])
    rejectRecord(run, { step: 'map', recordId: u.id, ...(u.row !== undefined ? { row: u.row } : {}), field: u.field, reason: u.reason });
  const writes = mapPage(run, page, map);
  run.counts.mapped += writes.length;
  const now = ctx.now();
  const stored = await storeDeals(run, writes, now);
  run.counts.snapshots += await snapshotChanged(run, stored, now);
  if (page.deletedIds.length) run.counts.deleted += await ctx.store.deals.markDeleted(tenantId, run.connector.source, page.deletedIds, now);
  return now;
}

/** Cleans each record's text, maps it, and keeps the deals; a record that cannot be mapped is rejected. */
function mapPage(run: RunState, page: FetchPage, map: CompiledMapping): DealWrite[] {
  const writes: DealWrite[] = [];
  for (const raw of page.records) {
    const data = storableValue(raw.data);
    const rec = { ...raw, id: storableText(raw.id), data: data.value };
    const r = map(rec, { tenantId: run.tenantId, source: run.connector.source });
    if (!r.ok) {
      rejectRecord(run, { step: 'map', ...r.error });
      continue;
    }
    if (data.cleaned.length) {
      run.counts.cleaned++;
      for (const c of data.cleaned) {
        if (run.cleaned.length >= MAX_REJECTED_KEPT) break;
        run.cleaned.push({
          recordId: r.deal.externalId,
          ...(rec.row !== undefined ? { row: rec.row } : {}),
          field: c.path,
          reason: c.reason,
        });
      }
    }
    const deal = r.deal.modifiedAt === null && rec.modifiedAt ? { ...r.deal, modifiedAt: rec.modifiedAt } : r.deal;
    writes.push({ deal, raw: rec.data, connectionId: run.connection.id });
  }
  return writes;
}

/** Stores a page of deals; a deal the database refuses is rejected alone. Returns the stored deals. */
async function storeDeals(run: RunState, writes: DealWrite[], now: Date): Promise<Deal[]> {
  const outcome = await run.ctx.store.deals.upsertMany(run.tenantId, writes, now);
  run.counts.stored += outcome.inserted + outcome.updated;
  run.counts.unchanged += outcome.unchanged;
  const refused = new Set(outcome.rejected.map((x) => x.externalId));
  for (const x of outcome.rejected) rejectRecord(run, { step: 'store', recordId: x.externalId, field: x.field, reason: x.reason });
  return writes.filter((w) => !refused.has(w.deal.externalId)).map((w) => w.deal);
}

/**
 * Keeps an open deal's state as of this run when it differs from its latest snapshot (compared
 * by input hash, so an echo or a re-read page adds nothing, and a crash between storing a page
 * and snapshotting it is made good by the next run).
 */
async function snapshotChanged(run: RunState, deals: Deal[], takenAt: Date): Promise<number> {
  const open = deals.filter((d) => d.stage.status === 'open');
  if (open.length === 0) return 0;
  const latest = await run.ctx.store.snapshots.latestHashes(
    run.tenantId,
    run.connector.source,
    open.map((d) => d.externalId),
  );
  const changed = open.filter((d) => latest.get(d.externalId) !== dealInputHash(d));
  const r = await run.ctx.store.snapshots.insertMany(run.tenantId, changed, takenAt);
  for (const x of r.rejected)
    rejectRecord(run, { step: 'store', recordId: x.externalId, field: x.field ?? 'snapshot', reason: `snapshot: ${x.reason}` });
  return r.inserted;
}
