import type { Connector } from '../../connectors/types.ts';
import type { AppContext } from '../context.ts';
import type { Connection } from '../store/repos/connections.ts';
import type { SyncConfig } from './config.ts';
import { handleSyncError } from './handle-sync-error.ts';
import { timedConnector } from './instrument.ts';
import { emptyCounts, finishedStatus, type RunState, type SyncPoint } from './run-state.ts';
import type { SyncScorer } from './scorer.ts';
import { raiseAlerts } from './steps/alerts.ts';
import { refreshCurrencyRates } from './steps/currency-rates.ts';
import { fetchAndStore, fetchListedAndStore } from './steps/fetch-and-store.ts';
import { queueChangedWrites } from './steps/queue-writes.ts';
import { recordRun } from './steps/record-run.ts';
import { retrainWhenDue } from './steps/retrain.ts';
import { scoreDeals } from './steps/score.ts';
import { sendFieldWrites, sendTasks } from './steps/send-writes.ts';
import { trackActionTasks } from './steps/track-actions.ts';

/** What a sync run needs from outside; the worker and the CLI build it once. */
export interface SyncDeps {
  ctx: AppContext;
  scorer: SyncScorer;
  /** Builds the connector of a stored connection (default: makeConnector). */
  connectorFor: (ctx: AppContext, connection: Connection) => Promise<Connector>;
  /** This worker's name on leases and run records. */
  holder: string;
  /** Called at each named point of a run (kill tests stop the process there). */
  probe?: (point: SyncPoint) => void | Promise<void>;
}

export interface RunSummary {
  runId: number;
  tenantId: string;
  connectionId: string;
  status: 'succeeded' | 'partial' | 'failed' | 'paused';
  counts: RunState['counts'];
  apiCalls: number;
  errors: RunState['errors'];
  rejected: RunState['rejected'];
  cleaned: RunState['cleaned'];
  durationMs: number;
}

type Step = (run: RunState) => Promise<void>;

/**
 * One sync run of one connection:
 * fetch changed → map → store deals + snapshots → exchange rates when due → (re)train when due → score → diff →
 * write back → alerts → tasks → follow up tasks → record the run.
 * Alerts come before tasks so an alert's CRM task goes out in the same batch as the others.
 *
 * With `only` (real time: deals a webhook or a change poll named), the same steps keep to those
 * deals: read by id, no rates or training, then score → diff → write back → alerts → tasks for
 * them alone. When they cannot be read that way (see realtimeScope) the regular run goes instead.
 */
export async function runConnectionSync(
  deps: SyncDeps,
  a: { tenantId: string; connection: Connection; config: SyncConfig; trigger: string; signal: AbortSignal; only?: readonly string[] },
): Promise<RunSummary> {
  const { ctx } = deps;
  const started = performance.now();
  const asOf = ctx.now();
  const runId = await ctx.store.syncRuns.start(
    a.tenantId,
    { connectionId: a.connection.id, trigger: a.trigger, holder: deps.holder },
    asOf,
  );
  const log = ctx.logger.child({ module: 'sync', tenantId: a.tenantId, connectionId: a.connection.id, runId });
  const run: RunState = {
    ctx,
    log,
    runId,
    tenantId: a.tenantId,
    connection: a.connection,
    connector: unavailableConnector,
    scorer: deps.scorer,
    config: a.config,
    asOf,
    trigger: a.trigger,
    only: null,
    signal: a.signal,
    probe: deps.probe ?? (() => {}),
    counts: emptyCounts(),
    rejected: [],
    cleaned: [],
    errors: [],
    timings: {},
    model: { id: null, version: null, status: null, retrained: false, reason: null },
    crmWaitMs: () => 0,
    degraded: false,
  };
  let current = 'connect';
  const step = async (name: string, fn: Step): Promise<void> => {
    current = name;
    const t = performance.now();
    await fn(run);
    run.timings[name] = Math.round(performance.now() - t);
  };
  try {
    await step('connect', async (r) => {
      const timed = timedConnector(await deps.connectorFor(ctx, a.connection));
      r.connector = timed.connector;
      r.crmWaitMs = timed.waitMs;
      if (a.only) {
        const scope = realtimeScope(r, a.only);
        r.only = scope.only;
        r.realtime = { deals: a.only.length, how: scope.how };
      }
    });
    if (run.only) {
      await step('fetch', fetchListedAndStore);
      await step('score', (r) => scoreDeals(r, { onlyIds: [...r.only!] }));
    } else {
      await step('fetch', fetchAndStore);
      await step('rates', refreshCurrencyRates);
      await step('train', retrainWhenDue);
      await step('score', (r) => scoreDeals(r));
    }
    await step('diff', queueChangedWrites);
    await step('write-back', sendFieldWrites);
    await step('alerts', raiseAlerts);
    await step('tasks', sendTasks);
    await step('task-status', trackActionTasks);
    const status = finishedStatus(run);
    await recordRun(run, status, started);
    log.info('sync run finished', { status, counts: run.counts });
    return summary(run, status, started);
  } catch (e) {
    const policy = handleSyncError(e, current, ctx.now());
    run.errors.push(policy.error);
    if (policy.connection) await ctx.store.connections.update(a.tenantId, a.connection.id, policy.connection, ctx.now());
    await recordRun(run, policy.status, started);
    log.warn('sync run stopped', { step: current, code: policy.error.code, status: policy.status, message: policy.error.message });
    return summary(run, policy.status, started);
  }
}

/**
 * Whether the named deals are read by id (`only`) or left to the regular run: a connector that
 * cannot read by id, a connection that has not had its first sync (it reads everything anyway),
 * real time switched off, or more deals than `realtime.maxDeals` (a mass update: the incremental
 * read costs fewer calls per deal than reading each by id).
 */
export function realtimeScope(run: RunState, ids: readonly string[]): { only: readonly string[] | null; how: string } {
  const cfg = run.config.realtime;
  if (!run.connector.fetchByIds) return { only: null, how: 'regular sync: this source cannot read deals by id' };
  if (run.connection.cursor === null) return { only: null, how: 'regular sync: the first sync has not run yet' };
  if (!cfg.enabled) return { only: null, how: 'regular sync: real time is switched off (realtime.enabled)' };
  if (ids.length > cfg.maxDeals)
    return { only: null, how: `regular sync: ${ids.length} deals, more than realtime.maxDeals (${cfg.maxDeals})` };
  return { only: [...new Set(ids)], how: 'read by id' };
}

function summary(run: RunState, status: RunSummary['status'], started: number): RunSummary {
  return {
    runId: run.runId,
    tenantId: run.tenantId,
    connectionId: run.connection.id,
    status,
    counts: run.counts,
    apiCalls: run.connector.usage().calls,
    errors: run.errors,
    rejected: run.rejected,
    cleaned: run.cleaned,
    durationMs: performance.now() - started,
  };
}

/** Stands in until the real connector is built, so a failed build still records its run. */
const unavailableConnector: Connector = {
  source: 'csv',
  mapping: { version: 1, source: 'csv', object: 'none', id: 'id', fields: {} } as unknown as Connector['mapping'],
  setup: () => Promise.reject(new Error('no connector')),
  fetchChanges: () => ({ [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('no connector')) }) }),
  writeBack: () => Promise.reject(new Error('no connector')),
  upsertTasks: () => Promise.reject(new Error('no connector')),
  usage: () => ({ calls: 0 }),
  recordUrl: () => null,
};
