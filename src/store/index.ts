import { type Db, type DbOptions, openDb } from './db.ts';
import { migrateToLatest } from './migrate.ts';
import { actionTasksRepo } from './repos/action-tasks.ts';
import { alertsRepo } from './repos/alerts.ts';
import { apiKeysRepo } from './repos/api-keys.ts';
import { atRiskRepo } from './repos/at-risk.ts';
import { auditRepo } from './repos/audit.ts';
import { changePollCallsRepo } from './repos/change-poll-calls.ts';
import { connectionsRepo } from './repos/connections.ts';
import { currencyRatesRepo } from './repos/currency-rates.ts';
import { dealRiskRepo } from './repos/deal-risk.ts';
import { dealsRepo } from './repos/deals.ts';
import { deliveriesRepo } from './repos/deliveries.ts';
import { forecastQuartersRepo } from './repos/forecast-quarters.ts';
import { idempotencyRepo } from './repos/idempotency.ts';
import { mappingsRepo } from './repos/mappings.ts';
import { modelsRepo } from './repos/models.ts';
import { oauthStatesRepo } from './repos/oauth-states.ts';
import { opsStatsRepo } from './repos/ops-stats.ts';
import { outboxRepo } from './repos/outbox.ts';
import { rescoreQueueRepo } from './repos/rescore-queue.ts';
import { scoresRepo } from './repos/scores.ts';
import { sessionsRepo } from './repos/sessions.ts';
import { snapshotsRepo } from './repos/snapshots.ts';
import { syncRunsRepo } from './repos/sync-runs.ts';
import { syncStateRepo } from './repos/sync-state.ts';
import { tenantSyncRepo } from './repos/tenant-sync.ts';
import { tenantsRepo } from './repos/tenants.ts';
import { tenantDirectory, usersRepo } from './repos/users.ts';
import { webhookEventsRepo } from './repos/webhook-events.ts';

export interface StoreOptions extends DbOptions {
  /** 32-byte AES-256-GCM key for CRM tokens at rest. */
  encryptionKey: Buffer;
  /** Apply pending migrations on open (default true; the Procfile release step does it in production). */
  migrate?: boolean;
}

/** The database and its tenant-scoped repositories: the only way the app reads or writes data. */
export async function openStore(opts: StoreOptions) {
  const { db, driver, close } = await openDb(opts);
  if (opts.migrate !== false) await migrateToLatest(db as never);
  return {
    db,
    driver,
    tenants: tenantsRepo(db),
    deals: dealsRepo(db),
    connections: connectionsRepo(db, opts.encryptionKey),
    mappings: mappingsRepo(db),
    models: modelsRepo(db),
    scores: scoresRepo(db),
    audit: auditRepo(db),
    snapshots: snapshotsRepo(db),
    syncRuns: syncRunsRepo(db),
    syncState: syncStateRepo(db),
    outbox: outboxRepo(db),
    deliveries: deliveriesRepo(db),
    alerts: alertsRepo(db),
    rescoreQueue: rescoreQueueRepo(db),
    changePollCalls: changePollCallsRepo(db),
    tenantSync: tenantSyncRepo(db),
    atRisk: atRiskRepo(db),
    users: usersRepo(db),
    directory: tenantDirectory(db),
    sessions: sessionsRepo(db),
    oauthStates: oauthStatesRepo(db),
    apiKeys: apiKeysRepo(db),
    idempotency: idempotencyRepo(db),
    dealRisk: dealRiskRepo(db),
    webhookEvents: webhookEventsRepo(db),
    opsStats: opsStatsRepo(db),
    currencyRates: currencyRatesRepo(db),
    forecastQuarters: forecastQuartersRepo(db),
    actionTasks: actionTasksRepo(db),
    close,
  };
}
export type Store = Awaited<ReturnType<typeof openStore>>;
export type { Db };
