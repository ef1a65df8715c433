import { AppError } from '../../core/errors.ts';
import { loadSyncConfig } from '../../sync/config.ts';
import { makeConnector } from '../../sync/make-connector.ts';
import { syncAllTenants, syncTenant, type TenantSyncResult } from '../../sync/sync-tenant.ts';
import { defaultTransports, sendDueDeliveries } from '../../worker/deliver.ts';
import { serviceScorer } from '../../worker/service-scorer.ts';
import { type CliDeps, report } from '../deps.ts';
import { table } from '../table.ts';

export interface SyncOptions {
  tenant?: string;
  json?: boolean;
}

/** `dealrisk sync` (declared in ../program.ts). */
export async function runSync(deps: CliDeps, o: SyncOptions): Promise<void> {
  const config = loadSyncConfig();
  const ctx = await deps.context();
  if (o.tenant && !(await ctx.store.tenants.get(o.tenant))) throw new AppError('not_found', `--tenant: no tenant "${o.tenant}"`);
  const syncDeps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: `cli:${process.pid}` };
  const opts = { base: config, trigger: 'cli' };
  const results: TenantSyncResult[] = o.tenant ? [await syncTenant(syncDeps, o.tenant, opts)] : await syncAllTenants(syncDeps, opts);
  // Alerts go out at once: send what the runs queued (failures stay queued for the worker).
  const deliveries = await sendDueDeliveries(ctx, config, defaultTransports(ctx.env.SMTP_URL), o.tenant ? { tenantId: o.tenant } : {});
  report(deps, o.json, { results, deliveries }, () => human(results));
  const bad = results.some((r) => r.status === 'failed' || r.runs.some((x) => x.status === 'failed'));
  if (bad) process.exitCode = 1;
}

function human(results: TenantSyncResult[]): string {
  const rows: Array<Record<string, unknown>> = results.flatMap(
    (r): Array<Record<string, unknown>> => [
      ...r.runs.map((x) => ({
        tenant: r.tenantId,
        connection: x.connectionId.slice(0, 8),
        status: x.status,
        fetched: x.counts.fetched,
        rejected: x.counts.rejected,
        scored: x.counts.scored,
        written: x.counts.written,
        tasks: x.counts.tasks,
        alerts: x.counts.alerts,
        apiCalls: x.apiCalls,
        seconds: (x.durationMs / 1000).toFixed(1),
        error: x.errors.map((e) => `${e.step}: ${e.code}: ${e.message}`).join('; '),
      })),
      ...r.skipped.map((s) => ({ tenant: r.tenantId, connection: s.connectionId.slice(0, 8), status: 'skipped', error: s.reason })),
      ...(r.status !== 'done'
        ? [
            {
              tenant: r.tenantId,
              connection: '',
              status: r.status,
              error: r.error ?? (r.status === 'busy' ? 'another worker is syncing this tenant' : ''),
            },
          ]
        : []),
    ],
  );
  if (rows.length === 0) return 'No tenant has a connection to sync.';
  return table(rows, [
    'tenant',
    'connection',
    'status',
    'fetched',
    'rejected',
    'scored',
    'written',
    'tasks',
    'alerts',
    'apiCalls',
    'seconds',
    'error',
  ]);
}
