import { observeSyncRun } from '../../metrics/metrics.ts';
import type { RunStatus } from '../../store/repos/sync-runs.ts';
import type { RunState } from '../run-state.ts';

/** record the run: counts, rejected records with reasons, API calls, duration, errors, timings. */
export async function recordRun(run: RunState, status: Exclude<RunStatus, 'running'>, startedMs: number): Promise<void> {
  const { ctx, tenantId } = run;
  const durationMs = performance.now() - startedMs;
  const usage = run.connector.usage();
  await ctx.store.syncRuns.finish(tenantId, run.runId, {
    status,
    finishedAt: ctx.now(),
    durationMs,
    counts: run.counts,
    apiCalls: usage.calls,
    errors: run.errors,
    rejected: run.rejected,
    details: {
      trigger: run.trigger,
      timings: run.timings,
      crmWaitMs: Math.round(run.crmWaitMs()),
      ownMs: Math.round(durationMs - run.crmWaitMs()),
      apiUsage: usage,
      model: run.model,
      cursor: run.connection.cursor,
      cleaned: run.cleaned,
      ...(run.realtime ? { realtime: run.realtime } : {}),
    },
  });
  observeSyncRun({
    crm: run.connection.crm,
    status,
    durationMs,
    crmWaitMs: run.crmWaitMs(),
    counts: run.counts,
    apiCalls: usage.calls,
    rateLimited: usage.rateLimited ?? 0,
    ...(status === 'paused' ? { pausedBy: run.errors.at(-1)?.code ?? 'unknown' } : {}),
  });
  // A real-time run of named deals is not a sync of the connection: its last sync stays.
  if ((status === 'succeeded' || status === 'partial') && !run.only) {
    await ctx.store.connections.update(
      tenantId,
      run.connection.id,
      { lastSyncAt: run.asOf, ...(run.connection.status !== 'active' ? { status: 'active', statusReason: null, pausedUntil: null } : {}) },
      ctx.now(),
    );
  }
  await run.probe('recorded');
}
