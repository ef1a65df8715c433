import type { Deal } from '../../core/deal.ts';
import { dealInputHash } from '../../core/deal-hash.ts';
import { compileMapping } from '../../core/mapping/to-deal.ts';
import type { DealWrite } from '../../store/repos/deals.ts';
import { ANALYZE_AFTER, MAX_REJECTED_KEPT, checkAborted, type RunState } from '../run-state.ts';

/**
 * fetch changed → map → store deals + snapshots, page by page. The cursor is saved only after
 * its page is stored, so a crash re-reads at most one page; a bad record is counted and kept
 * with its reason, never stopping the page.
 */
export async function fetchAndStore(run: RunState): Promise<void> {
  const { ctx, connector, tenantId, connection } = run;
  const map = compileMapping(connector.mapping);
  const source = connector.source;
  for await (const page of connector.fetchChanges({ cursor: connection.cursor, signal: run.signal })) {
    checkAborted(run);
    run.counts.fetched += page.records.length;
    const writes: DealWrite[] = [];
    for (const rec of page.records) {
      const r = map(rec, { tenantId, source });
      if (!r.ok) {
        run.counts.rejected++;
        if (run.rejected.length < MAX_REJECTED_KEPT) run.rejected.push(r.error);
        continue;
      }
      const deal = r.deal.modifiedAt === null && rec.modifiedAt ? { ...r.deal, modifiedAt: rec.modifiedAt } : r.deal;
      writes.push({ deal, raw: rec.data, connectionId: connection.id });
    }
    run.counts.mapped += writes.length;
    const now = ctx.now();
    const outcome = await ctx.store.deals.upsertMany(tenantId, writes, now);
    run.counts.stored += outcome.inserted + outcome.updated;
    run.counts.unchanged += outcome.unchanged;
    run.counts.snapshots += await snapshotChanged(run, writes.map((w) => w.deal), now);
    if (page.deletedIds.length) run.counts.deleted += await ctx.store.deals.markDeleted(tenantId, source, page.deletedIds, now);
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
 * Keeps an open deal's state as of this run when it differs from its latest snapshot (compared
 * by input hash, so an echo or a re-read page adds nothing, and a crash between storing a page
 * and snapshotting it is made good by the next run).
 */
async function snapshotChanged(run: RunState, deals: Deal[], takenAt: Date): Promise<number> {
  const open = deals.filter((d) => d.stage.status === 'open');
  if (open.length === 0) return 0;
  const latest = await run.ctx.store.snapshots.latestHashes(run.tenantId, run.connector.source, open.map((d) => d.externalId));
  const changed = open.filter((d) => latest.get(d.externalId) !== dealInputHash(d));
  return run.ctx.store.snapshots.insertMany(run.tenantId, changed, takenAt);
}
