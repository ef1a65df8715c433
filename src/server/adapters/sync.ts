import { z } from 'zod';
import { USAGE_WINDOW as HUBSPOT_USAGE_WINDOW } from '../../../connectors/hubspot/api.ts';
import { USAGE_WINDOW as SALESFORCE_USAGE_WINDOW } from '../../../connectors/salesforce/limits.ts';
import type { AppContext } from '../../context.ts';
import { loadSyncConfig, tenantSyncConfig } from '../../sync/config.ts';
import { buildDigest } from '../../sync/digest.ts';
import { makeConnector } from '../../sync/make-connector.ts';
import { listSyncRuns, requestSync } from '../../sync/requests.ts';
import type { DigestView, SyncRunView } from '../api/schemas.ts';
import type { SyncPort } from '../deps.ts';

const RECORD_STEPS = ['map', 'store', 'score', 'write-back', 'tasks'] as const;

/**
 * The CRM's usage counter a run stored (details.apiUsage, `usage` before it was renamed): read
 * through a schema, so a figure that is not a number shows as unknown rather than as text.
 */
const StoredUsage = z.object({ used: z.number().optional().catch(undefined), limit: z.number().optional().catch(undefined) }).loose();

/** Values the run cleaned (details.cleaned): the entries that are objects; anything else reads as none. */
const StoredCleaned = z
  .array(z.unknown())
  .catch([])
  .transform((a) => a.filter((c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c)));

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

/** The sync engine and worker (src/sync, src/worker) as the web app sees them. */
export function syncPort(ctx: AppContext): SyncPort {
  const base = loadSyncConfig();
  return {
    async requestSync(tenantId, by) {
      const r = await requestSync(ctx, tenantId, by);
      return { requested: true, requestedAt: r.requestedAt, message: 'Sync requested: a worker starts it within a minute.' };
    },
    async runs(tenantId, limit): Promise<SyncRunView[]> {
      const runs = await listSyncRuns(ctx, tenantId, { limit });
      return runs.map((r) => ({
        id: r.id,
        connectionId: r.connectionId,
        trigger: r.trigger,
        status: r.status,
        startedAt: r.startedAt.toISOString(),
        finishedAt: r.finishedAt?.toISOString() ?? null,
        durationMs: r.durationMs,
        counts: r.counts,
        apiCalls: r.apiCalls,
        errors: r.errors.map((e) => ({
          message: str(e.message) ?? JSON.stringify(e),
          ...(str(e.code) ? { code: str(e.code)! } : {}),
          ...(str(e.step) ? { step: str(e.step)! } : {}),
        })),
        rejected: r.rejected.map((x) => ({
          // Runs recorded before rejections named their step only ever rejected at mapping.
          step: RECORD_STEPS.find((s) => s === x.step) ?? 'map',
          recordId: str(x.recordId) ?? str(x.row),
          ...(typeof x.row === 'number' ? { row: x.row } : {}),
          field: str(x.field),
          reason: str(x.reason) ?? str(x.message) ?? 'rejected',
        })),
        cleaned: StoredCleaned.parse(r.details.cleaned).map((c) => ({
          recordId: str(c.recordId) ?? '',
          ...(typeof c.row === 'number' ? { row: c.row } : {}),
          field: str(c.field) ?? '',
          reason: str(c.reason) ?? 'cleaned',
        })),
      }));
    },
    async digest(tenantId, _asOf, opts): Promise<DigestView> {
      const tenant = await ctx.store.tenants.get(tenantId);
      const config = tenantSyncConfig(base, { id: tenantId, settings: tenant?.settings ?? {} });
      const d = await buildDigest(ctx, tenantId, { config, top: 100 });
      const wanted = opts.owner?.toLowerCase();
      const deals = d.deals.filter((x) => !wanted || x.ownerId?.toLowerCase() === wanted || x.ownerName?.toLowerCase() === wanted);
      const byOwner = new Map<string, DigestView['owners'][number]>();
      for (const x of deals) {
        const k = x.ownerId ?? x.ownerName ?? '';
        const o = byOwner.get(k) ?? { ownerId: x.ownerId, ownerName: x.ownerName, deals: [] };
        if (o.deals.length < config.digest.top) {
          o.deals.push({
            externalId: x.externalId,
            name: x.name,
            amount: x.amount,
            currency: x.currency ?? null,
            converted: x.converted ?? null,
            riskScore: x.score,
            category: x.category,
            firstAction: x.firstAction,
          });
        }
        byOwner.set(k, o);
      }
      return {
        asOf: d.generatedAt,
        owners: [...byOwner.values()],
        summary: {
          highRisk: deals.length,
          critical: deals.filter((x) => x.category === 'Critical').length,
          // In one currency: a deal no rate converts is left out (it is listed, with its own amount).
          revenueAtRisk: deals.reduce((a, x) => a + ((x.converted === undefined ? x.amount : x.converted) ?? 0), 0),
          currency: d.currency ?? null,
        },
        ...(d.forecast !== undefined ? { forecast: d.forecast } : {}),
        // The same follow-through the emailed managers' digest gives (team and each rep, never filtered by owner).
        ...(d.actions !== undefined ? { actions: d.actions } : {}),
      };
    },
    async connectionInstalled(tenantId, connectionId) {
      const c = await ctx.store.connections.get(tenantId, connectionId);
      if (!c) return;
      return (await makeConnector(ctx, c)).setup();
    },
    async apiUsage(tenantId) {
      const connections = await ctx.store.connections.list(tenantId);
      const out = [];
      for (const c of connections) {
        if (c.crm === 'csv') continue;
        const [last] = await listSyncRuns(ctx, tenantId, { limit: 1, connectionId: c.id });
        const stored = StoredUsage.safeParse(last?.details.apiUsage ?? last?.details.usage);
        const u = stored.success ? stored.data : null;
        const polled = await ctx.store.changePollCalls.since(tenantId, c.id, new Date(ctx.now().getTime() - 86_400_000));
        out.push({
          connectionId: c.id,
          crm: c.crm,
          used: u?.used ?? null,
          limit: u?.limit ?? null,
          window: c.crm === 'salesforce' ? SALESFORCE_USAGE_WINDOW : HUBSPOT_USAGE_WINDOW,
          at: last?.finishedAt?.toISOString() ?? null,
          changePoll: polled.polls > 0 ? polled : null,
        });
      }
      return out;
    },
  };
}
