import type { Connector } from '../../connectors/types.ts';
import type { Logger } from '../log.ts';
import { observeChangePoll } from '../metrics/metrics.ts';
import type { Connection } from '../store/repos/connections.ts';
import type { RescoreOrigin } from '../store/repos/rescore-queue.ts';
import { type SyncConfig, tenantSyncConfig } from './config.ts';
import { handleSyncError } from './handle-sync-error.ts';
import { requestRescore } from './requests.ts';
import type { SyncDeps } from './run-sync.ts';
import { skipReason, syncTenant, type TenantSyncResult } from './sync-tenant.ts';

/**
 * Real time, the worker's second lane (src/worker/index.ts runs it every poll interval, beside
 * the hourly runs): deals a CRM reported changed are fetched, scored and written back alone.
 * HubSpot tells us by webhook (requestRescore queues the deal ids); Salesforce does not, so
 * pollChanges asks it which opportunities changed and queues those the same way.
 */

/**
 * Serves the rescore queue: per tenant, the queued deals of each source, read by id, scored and
 * written back under the tenant's lease (runConnectionSync with `only`). A tenant busy with its
 * hourly run keeps its queue for the next tick (that run may well pick the change up itself);
 * a request that arrived while its deals were served stays queued.
 */
export async function serveRescoreQueue(deps: SyncDeps, base: SyncConfig, signal?: AbortSignal): Promise<TenantSyncResult[]> {
  const { store } = deps.ctx;
  const out: TenantSyncResult[] = [];
  for (const q of await store.rescoreQueue.tenants()) {
    if (signal?.aborted) break;
    const queued = await store.rescoreQueue.listAll(q.tenantId);
    const only: Record<string, string[]> = {};
    const triggers: Record<string, string> = {};
    for (const source of new Set(queued.map((i) => i.source))) {
      const mine = queued.filter((i) => i.source === source);
      only[source] = mine.map((i) => i.externalId);
      triggers[source] = realtimeTrigger(mine.map((i) => i.origin));
    }
    const r = await syncTenant(deps, q.tenantId, { base, trigger: 'webhook', triggers, only, ...(signal ? { signal } : {}) });
    out.push(r);
    // Served, or not servable now (no such connection, or it is paused): the regular sync reads
    // those changes in its turn, so nothing stays queued forever.
    if (r.status !== 'busy') await store.rescoreQueue.removeServed(q.tenantId, queued);
  }
  return out;
}

/**
 * What a real-time run records as its trigger: what queued its deals, 'webhook' (the CRM told
 * us) or 'poll' (our change poll asked it), both joined by '+' when deals of each are served together.
 */
export function realtimeTrigger(origins: readonly RescoreOrigin[]): string {
  return [...new Set(origins)].sort().join('+') || 'webhook';
}

/**
 * Asks each connection whose CRM sends no webhook (its connector has changedSince) which deals
 * changed since the last poll, at most once per `realtime.pollSeconds` across every worker
 * (claimed on the database clock), and queues them for serveRescoreQueue. More than
 * `realtime.maxDeals` at once (a mass update, the echoes of a large write-back) are left to the
 * regular sync. A failing poll is handled as a failed run would be (a revoked token or a spent
 * quota pauses the connection). A poll is no sync run: the API calls it makes, failed polls'
 * included, are counted per connection and hour (store.changePollCalls: the Sync page, the
 * Salesforce rolling-24 h budget) and in the `dealrisk_crm_api_calls_total{kind="change_poll"}` metric.
 */
const TEN_YEARS_MS = 10 * 365 * 86_400_000;

export async function pollChanges(deps: SyncDeps, base: SyncConfig, signal?: AbortSignal): Promise<{ queued: number; skipped: number }> {
  const { ctx } = deps;
  let queued = 0;
  let skipped = 0;
  // Only connections whose poll may be due: one query at idle, whatever the number of tenants.
  const every = base.realtime.enabled && base.realtime.pollSeconds > 0 ? base.realtime.pollSeconds * 1000 : TEN_YEARS_MS;
  const cfgs = new Map<string, SyncConfig['realtime'] | null>();
  for (const connection of await ctx.store.connections.changePollCandidates(every)) {
    if (signal?.aborted) break;
    let cfg = cfgs.get(connection.tenantId);
    if (cfg === undefined) {
      const tenant = await ctx.store.tenants.get(connection.tenantId);
      try {
        cfg = tenant ? tenantSyncConfig(base, tenant).realtime : null;
      } catch {
        cfg = null; // invalid tenant settings: its sync run says so; nothing to poll with
      }
      cfgs.set(connection.tenantId, cfg);
    }
    if (!cfg?.enabled || cfg.pollSeconds <= 0) continue;
    const r = await pollConnection(deps, connection, cfg);
    queued += r.queued;
    skipped += r.skipped ? 1 : 0;
  }
  return { queued, skipped };
}

async function pollConnection(
  deps: SyncDeps,
  connection: Connection,
  cfg: SyncConfig['realtime'],
): Promise<{ queued: number; skipped: boolean }> {
  const { ctx } = deps;
  const none = { queued: 0, skipped: false };
  // Before its first sync a connection is read whole anyway; a paused one waits.
  if (connection.cursor === null || skipReason(connection, ctx.now())) return none;
  const claim = await ctx.store.connections.claimChangePoll(connection.tenantId, connection.id, cfg.pollSeconds * 1000);
  if (!claim) return none;
  const log = ctx.logger.child({ module: 'realtime', tenantId: connection.tenantId, connectionId: connection.id });
  let connector: Connector | null = null;
  try {
    connector = await deps.connectorFor(ctx, connection);
    if (!connector.changedSince) {
      connector = null; // nothing polled, nothing to count
      return none;
    }
    const found = await connector.changedSince(claim.mark, cfg.maxDeals);
    if (found.more)
      log.info('change poll: more deals changed than realtime.maxDeals; left to the regular sync', { maxDeals: cfg.maxDeals });
    await requestRescore(ctx, connection.tenantId, connector.source, found.ids, 'poll');
    await ctx.store.connections.saveChangeMark(connection.tenantId, connection.id, found.mark);
    if (found.ids.length) log.info('change poll: deals queued', { deals: found.ids.length });
    return { queued: found.ids.length, skipped: found.more };
  } catch (e) {
    const policy = handleSyncError(e, 'change-poll', ctx.now());
    if (policy.connection) await ctx.store.connections.update(connection.tenantId, connection.id, policy.connection, ctx.now());
    log.warn('change poll failed', { code: policy.error.code, message: policy.error.message });
    return none;
  } finally {
    if (connector) await countPollCalls(deps, connection, connector.usage().calls, log);
  }
}

/** The calls one poll made, on the connection's hourly tally and the metric; a failure to count is logged, not thrown. */
async function countPollCalls(deps: SyncDeps, connection: Connection, calls: number, log: Logger): Promise<void> {
  observeChangePoll(connection.crm, calls);
  try {
    await deps.ctx.store.changePollCalls.record(connection.tenantId, connection.id, calls, deps.ctx.now());
  } catch (e) {
    log.warn('change poll: its API calls could not be counted', { error: e instanceof Error ? e.message : String(e) });
  }
}
