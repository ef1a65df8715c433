import { randomBytes } from 'node:crypto';
import os from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import type { AppContext } from '../context.ts';
import { slotLateness } from '../metrics/metrics.ts';
import { pollDuration, runsRecovered } from '../metrics/worker-metrics.ts';
import { loadSyncConfig, type SyncConfig } from '../sync/config.ts';
import { makeConnector } from '../sync/make-connector.ts';
import { pollChanges, serveRescoreQueue } from '../sync/realtime.ts';
import type { SyncDeps } from '../sync/run-sync.ts';
import type { SyncScorer } from '../sync/scorer.ts';
import { syncTenant, type TenantSyncResult } from '../sync/sync-tenant.ts';
import { defaultTransports, sendDueDeliveries, type Transports } from './deliver.ts';
import { queueDueDigests } from './digest.ts';
import { recordDueQuarters } from './forecast-quarters.ts';
import { purgeDue } from './purge.ts';
import { assertCron, jitterMs, previousSlot, slotOf } from './schedule.ts';
import { serviceScorer } from './service-scorer.ts';

export interface WorkerOptions {
  /** Defaults to config/sync.yaml. */
  config?: SyncConfig;
  scorer?: SyncScorer;
  connectorFor?: SyncDeps['connectorFor'];
  transports?: Transports;
  /** Name on leases and run records; defaults to host:pid:random. */
  holder?: string;
  /** Run the hourly cron schedule (default true); the poll loop always runs. */
  schedule?: boolean;
  probe?: SyncDeps['probe'];
}

export interface Worker {
  /**
   * Stops the schedule and the poll loop. Runs in hand stop at their next page or step (crash
   * safe: the next run resumes them) unless `abort: false`, which waits for them to finish.
   */
  stop(opts?: { abort?: boolean }): Promise<void>;
  /** Syncs one tenant now (CLI, tests); "sync now" from the web app goes through requestSync. */
  runNow(tenantId: string): Promise<TenantSyncResult>;
  /** Resolves once the start-up catch-up has run. */
  ready: Promise<void>;
  readonly holder: string;
}

/**
 * The worker: node-cron fires each slot (hourly by default) and every tenant runs at its own
 * jittered offset into it; a slot missed while no worker was up runs once at start. A poll loop
 * serves "sync now" requests, due alert/digest deliveries, daily digests and retention. Tenants
 * run one at a time per worker, each under its lease, so several workers share the load without
 * two ever syncing the same tenant. A second loop serves real time (deals a webhook or the change
 * poll named, src/sync/realtime.ts), under the same leases, beside the regular runs.
 */
export function startWorker(ctx: AppContext, opts: WorkerOptions = {}): Worker {
  const config = opts.config ?? loadSyncConfig();
  assertCron(config.schedule.cron);
  const holder = opts.holder ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const log = ctx.logger.child({ module: 'worker', holder });
  const deps: SyncDeps = {
    ctx,
    scorer: opts.scorer ?? serviceScorer(ctx),
    connectorFor: opts.connectorFor ?? makeConnector,
    holder,
    ...(opts.probe ? { probe: opts.probe } : {}),
  };
  const transports = opts.transports ?? defaultTransports(ctx.env.SMTP_URL);
  let stopped = false;
  // Stopping aborts the runs in hand at their next page or step: every step resumes from stored
  // state, so the next run (here or in another worker) finishes what they started.
  const aborter = new AbortController();
  const timers = new Set<NodeJS.Timeout>();
  // One tenant at a time per worker: memory stays bounded by one run; more workers, more runs.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };
  const guarded = (what: string, fn: () => Promise<unknown>) => (): Promise<void> =>
    fn().then(
      () => undefined,
      (e: unknown) => {
        log.error(`${what} failed`, { error: e instanceof Error ? e.message : String(e) });
      },
    );

  const runTenant = (tenantId: string, trigger: string): Promise<TenantSyncResult> =>
    serial(async () => {
      if (stopped) return { tenantId, status: 'failed' as const, runs: [], skipped: [], error: 'the worker is stopping' };
      return syncTenant(deps, tenantId, { base: config, trigger, signal: aborter.signal });
    });

  /**
   * Runs a tenant's slot if no worker (this one included) has run it yet. The slot is claimed when
   * the run starts, not when it is queued: a worker that dies holds no slot it never started, and
   * a worker with a backlog leaves the tenants it has not reached to the others.
   */
  const runSlot = (tenantId: string, slot: Date, trigger: 'schedule' | 'catch-up') => {
    // Due at the tenant's jittered offset into the slot; a catch-up run was due at the slot itself.
    const dueAt = trigger === 'schedule' ? new Date(slot.getTime() + jitterMs(tenantId, config.schedule.jitterSeconds)) : slot;
    return serial(async () => {
      if (stopped || !(await ctx.store.tenantSync.claimSlot(tenantId, slot))) return;
      slotLateness.observe({ trigger }, Math.max(0, ctx.now().getTime() - dueAt.getTime()) / 1000);
      await syncTenant(deps, tenantId, { base: config, trigger, signal: aborter.signal });
    });
  };

  /** A slot for every tenant, each after its jitter; the first worker to claim a slot runs it. */
  const onSlot = async (slot: Date) => {
    for (const id of await ctx.store.tenants.ids()) {
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          if (!stopped) void guarded(`scheduled run of ${id}`, () => runSlot(id, slot, 'schedule'))();
        },
        jitterMs(id, config.schedule.jitterSeconds),
      );
      timers.add(timer);
    }
  };

  /** At start: each tenant whose last slot is older than the latest one runs once, now. */
  const catchUp = async () => {
    const slot = previousSlot(config.schedule.cron, ctx.now(), config.schedule.timezone);
    if (!slot) return;
    for (const id of await ctx.store.tenantSync.behindSlot(slot)) {
      if (stopped) return;
      await guarded(`catch-up run of ${id}`, () => runSlot(id, slot, 'catch-up'))();
    }
  };

  let task: ScheduledTask | null = null;
  if (opts.schedule !== false) {
    task = cron.schedule(config.schedule.cron, (c) => guarded('slot', () => onSlot(slotOf(c.date)))(), {
      timezone: config.schedule.timezone,
      name: `dealrisk-sync-${holder}`,
    });
  }

  const ready = opts.schedule === false || !config.schedule.catchUp ? Promise.resolve() : guarded('catch-up', catchUp)();

  let polling: Promise<void> | null = null;
  const poll = async () => {
    for (const r of await ctx.store.tenantSync.requested()) {
      if (stopped) return;
      // Busy: another worker is syncing the tenant; the request stays and runs after it.
      if ((await runTenant(r.tenantId, 'manual')).status !== 'busy') await ctx.store.tenantSync.clearRequest(r.tenantId, r.requestedAt);
    }
    // A run whose worker died: its lease expired unreleased; the run resumes here, not an hour later.
    for (const tenantId of await ctx.store.tenantSync.expiredLeases()) {
      if (stopped) return;
      const r = await runTenant(tenantId, 'recovery');
      if (r.status !== 'busy') runsRecovered.inc();
    }
    // Only the tenants whose daily digest or quarter look is due: idle cost does not grow with tenants.
    await queueDueDigests(ctx, config);
    await recordDueQuarters(ctx);
    await sendDueDeliveries(ctx, config, transports);
    await purgeDue(ctx, config);
  };
  const pollTimer = setInterval(() => {
    if (polling || stopped) return;
    const end = pollDuration.startTimer();
    polling = guarded('poll', poll)().finally(() => {
      end();
      polling = null;
    });
  }, config.schedule.pollSeconds * 1000);

  // Real time runs in a lane of its own, beside the hourly runs and "sync now": a deal a webhook
  // reported is written back within the poll interval even while this worker syncs a large
  // tenant. It holds the tenant's lease too, so it never races that tenant's own run.
  let realtime: Promise<void> | null = null;
  const realtimeTick = async () => {
    await pollChanges(deps, config, aborter.signal);
    if (!stopped) await serveRescoreQueue(deps, config, aborter.signal);
  };
  const realtimeTimer = setInterval(() => {
    if (realtime || stopped) return;
    realtime = guarded('real-time rescoring', realtimeTick)().finally(() => {
      realtime = null;
    });
  }, config.schedule.pollSeconds * 1000);
  log.info('worker started', { cron: config.schedule.cron, timezone: config.schedule.timezone, pollSeconds: config.schedule.pollSeconds });

  return {
    holder,
    ready,
    runNow: (tenantId) => runTenant(tenantId, 'manual'),
    async stop(opts: { abort?: boolean } = {}) {
      stopped = true;
      if (opts.abort !== false) aborter.abort(new Error('the worker is stopping; the next run resumes this one'));
      clearInterval(pollTimer);
      clearInterval(realtimeTimer);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      if (task) await task.destroy();
      await ready;
      await polling;
      await realtime;
      await queue;
      log.info('worker stopped');
    },
  };
}

export { buildDigest, type Digest } from '../sync/digest.ts';
export { listSyncRuns, modelHealth, requestRescore, requestSync } from '../sync/requests.ts';
