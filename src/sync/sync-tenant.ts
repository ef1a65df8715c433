import { isAppError } from '../core/errors.ts';
import type { Connection } from '../store/repos/connections.ts';
import { type SyncConfig, tenantSyncConfig } from './config.ts';
import { type RunSummary, runConnectionSync, type SyncDeps } from './run-sync.ts';

export interface TenantSyncResult {
  tenantId: string;
  /** busy: another worker holds the tenant's lease; nothing ran here. */
  status: 'done' | 'busy' | 'failed';
  runs: RunSummary[];
  skipped: Array<{ connectionId: string; reason: string }>;
  error?: string;
}

/**
 * Syncs every connection of one tenant under the tenant's lease (with `only`, real time: the
 * named deals of each source, under the same lease, so they never race the tenant's hourly run).
 * The lease is renewed while the run lasts; if it is lost (this worker stalled past its expiry
 * and another claimed it), the run is aborted at the next page or step rather than racing the
 * other worker.
 */
export async function syncTenant(
  deps: SyncDeps,
  tenantId: string,
  opts: {
    base: SyncConfig;
    trigger: string;
    /** Per source, the trigger its runs record instead of `trigger` (real time: what queued its deals). */
    triggers?: Partial<Record<string, string>>;
    connectionId?: string;
    signal?: AbortSignal;
    /** Real time: per source, the deals to fetch, score and write back alone; other connections do not run. */
    only?: Partial<Record<string, readonly string[]>>;
  },
): Promise<TenantSyncResult> {
  const { ctx } = deps;
  const result: TenantSyncResult = { tenantId, status: 'done', runs: [], skipped: [] };
  const lease = opts.base.lease;
  if (!(await ctx.store.tenantSync.claimLease(tenantId, deps.holder, lease.ttlSeconds * 1000))) return { ...result, status: 'busy' };
  const aborter = new AbortController();
  const onOuterAbort = () => aborter.abort(opts.signal?.reason);
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort);
  const log = ctx.logger.child({ module: 'sync', tenantId });
  const heartbeat = setInterval(() => {
    ctx.store.tenantSync.renewLease(tenantId, deps.holder, lease.ttlSeconds * 1000).then(
      (ok) => {
        if (!ok) aborter.abort(new Error(`lost the lease of tenant ${tenantId}`));
      },
      (e: unknown) => log.warn('lease renewal failed', { error: e instanceof Error ? e.message : String(e) }),
    );
  }, lease.renewSeconds * 1000);
  heartbeat.unref();
  try {
    await ctx.store.syncRuns.failAbandoned(tenantId, ctx.now());
    const tenant = await ctx.store.tenants.get(tenantId);
    if (!tenant) return { ...result, status: 'failed', error: `tenant ${tenantId} does not exist` };
    let config: SyncConfig;
    try {
      config = tenantSyncConfig(opts.base, tenant, { slackWebhookUrl: ctx.env.SLACK_WEBHOOK_URL });
    } catch (e) {
      if (!isAppError(e, 'config_invalid')) throw e;
      log.warn('tenant settings invalid: sync skipped', { message: e.message });
      return { ...result, status: 'failed', error: e.message };
    }
    for (const connection of await ctx.store.connections.list(tenantId)) {
      if (opts.connectionId && connection.id !== opts.connectionId) continue;
      const only = opts.only ? opts.only[connection.crm] : undefined;
      if (opts.only && !only?.length) continue;
      const skip = skipReason(connection, ctx.now());
      if (skip) {
        result.skipped.push({ connectionId: connection.id, reason: skip });
        continue;
      }
      result.runs.push(
        await runConnectionSync(deps, {
          tenantId,
          connection,
          config,
          trigger: opts.triggers?.[connection.crm] ?? opts.trigger,
          signal: aborter.signal,
          ...(only ? { only } : {}),
        }),
      );
      if (aborter.signal.aborted) break;
    }
    return result;
  } finally {
    clearInterval(heartbeat);
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await ctx.store.tenantSync.releaseLease(tenantId, deps.holder);
  }
}

/** Why a connection does not run now (null: it runs). */
export function skipReason(c: Connection, now: Date): string | null {
  if (c.status === 'needs_reauth') return `needs re-authorization${c.statusReason ? `: ${c.statusReason}` : ''}`;
  if (c.status === 'disconnected') return 'disconnected';
  if (c.pausedUntil && c.pausedUntil > now)
    return `paused until ${c.pausedUntil.toISOString()}${c.statusReason ? `: ${c.statusReason}` : ''}`;
  return null;
}

/** Every tenant, one after the other; one tenant's failure never stops the next. */
export async function syncAllTenants(deps: SyncDeps, opts: { base: SyncConfig; trigger: string }): Promise<TenantSyncResult[]> {
  const out: TenantSyncResult[] = [];
  for (const t of await deps.ctx.store.tenants.list()) {
    try {
      out.push(await syncTenant(deps, t.id, opts));
    } catch (e) {
      deps.ctx.logger.error('tenant sync crashed', { tenantId: t.id, error: e instanceof Error ? e.message : String(e) });
      out.push({ tenantId: t.id, status: 'failed', runs: [], skipped: [], error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
