import type { QueuedWrite } from '../../store/repos/outbox.ts';
import type { StateRow } from '../../store/repos/sync-state.ts';
import { ANALYZE_AFTER, checkAborted, type RunState } from '../run-state.ts';

/**
 * diff: a deal is written back only when a written value changed since the last write (its
 * values hash differs from the one last queued). Echoes never get here: an unchanged input
 * hash is not rescored. Queuing and recording the new written hash are one transaction.
 */
export async function queueChangedWrites(run: RunState): Promise<void> {
  const { ctx, tenantId } = run;
  const source = run.connector.source;
  const tasksOn = run.config.writeBack.tasks.enabled && run.connector.mapping.writeBack?.tasks.enabled !== false;
  let afterId: string | null = null;
  do {
    checkAborted(run);
    const page: { rows: StateRow[]; next: string | null } = await ctx.store.syncState.unwritten(tenantId, source, afterId, 1000, run.only);
    afterId = page.next;
    const rows = page.rows;
    if (rows.length === 0) continue;
    const writes: QueuedWrite[] = rows.map((r) => {
      const plan = r.risk;
      return {
        source,
        externalId: r.externalId,
        valuesHash: r.valuesHash,
        fields: { externalId: r.externalId, fields: plan.fields },
        tasks: tasksOn ? plan.tasks.map((t) => ({ key: `${source}:${t.key}`, payload: t })) : [],
      };
    });
    const q = await ctx.store.outbox.queue(tenantId, run.connection.id, writes, ctx.now());
    run.counts.queued += q.fields;
  } while (afterId !== null);
  if (run.counts.queued >= ANALYZE_AFTER) await ctx.store.syncState.analyze();
  await run.probe('queued');
}
