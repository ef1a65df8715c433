// One worker process of the 10,000-tenant simulation (bench/tenants.bench.ts): the real worker
// loop (src/worker) and its /metrics listener (src/metrics) over the simulation's Postgres
// database, with a fast in-memory CRM so the engine, not the CRM, is measured.
//
// Time is compressed by BENCH_TENANTS_COMPRESS (k): the slot comes every 60/k minutes, and the
// jitter window, lease TTL and lease renewal shrink by k too. The poll loops keep their real
// periods (10 s, 45 s): the idle cost they put on Postgres is measured as it is.
import { parseEnv } from '../config/env.ts';
import type { Connector, FetchPage } from '../connectors/types.ts';
import { createAppContext } from '../src/context.ts';
import { silentLogger } from '../src/log.ts';
import { startMetrics } from '../src/metrics/index.ts';
import { loadSyncConfig } from '../src/sync/config.ts';
import { startWorker } from '../src/worker/index.ts';
import { fakeScorer } from '../test/integration/sync/helpers/fake-scorer.ts';
import { CRM_MAPPING } from '../test/integration/sync/helpers/file-crm.ts';

const k = Number(process.env.BENCH_TENANTS_COMPRESS ?? 1);
const periodMin = 60 / k;
const PAGE = Number(process.env.BENCH_TENANTS_PAGE ?? 20);

const config = structuredClone(loadSyncConfig());
config.schedule.cron = process.env.BENCH_TENANTS_CRON
  ? process.env.BENCH_TENANTS_CRON
  : Number.isInteger(periodMin) && periodMin >= 1
    ? `0 */${periodMin} * * * *`
    : `*/${60 * periodMin} * * * * *`;
config.schedule.jitterSeconds = config.schedule.jitterSeconds / k;
config.lease.ttlSeconds = config.lease.ttlSeconds / k;
config.lease.renewSeconds = Math.max(1, config.lease.renewSeconds / k);

const env = parseEnv({
  ...process.env,
  ROLE: 'worker',
  NODE_ENV: 'development',
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
});
const ctx = { ...(await createAppContext(env, { logger: silentLogger(), migrate: false })) };

/**
 * A CRM that answers at once: every run reads one page of PAGE deals changed since the last one
 * (a 2,000-deal org editing 1% of its deals an hour), each with a risk that moves every slot, so
 * every run stores, scores and writes back its page.
 */
function fastCrm(tenantId: string): Connector {
  let calls = 0;
  const periodMs = periodMin * 60_000;
  return {
    source: 'salesforce',
    mapping: CRM_MAPPING,
    setup: async () => ({ created: [], existing: [], warnings: [] }),
    async *fetchChanges(): AsyncIterable<FetchPage> {
      calls++;
      const slot = Math.floor(Date.now() / periodMs);
      const at = new Date();
      yield {
        records: Array.from({ length: PAGE }, (_, i) => ({
          id: `${tenantId}-${i}`,
          data: {
            Id: `${tenantId}-${i}`,
            Name: `Deal ${i}`,
            Amount: 10_000 + i * 500,
            Status: 'open',
            OwnerId: `u${i % 4}`,
            OwnerName: `Rep ${i % 4}`,
            Risk: 10 + ((i * 7 + slot) % 40), // Low and Medium: no CRM tasks
            CreatedDate: '2026-10-01T00:00:00Z',
          },
          modifiedAt: at,
        })),
        deletedIds: [],
        cursor: String(at.getTime()),
      };
    },
    async changedSince(mark) {
      calls++;
      return { ids: [], mark: mark ?? String(Date.now()), more: false };
    },
    async writeBack(updates) {
      calls += Math.ceil(updates.length / 200);
      return updates.map((u) => ({ externalId: u.externalId, ok: true }));
    },
    async upsertTasks(tasks) {
      calls++;
      return tasks.map((t) => ({ key: t.key, ok: true, status: 'created' as const }));
    },
    usage: () => ({ calls }),
    recordUrl: (id) => `https://crm.example.test/deals/${id}`,
  };
}

const worker = startWorker(ctx, {
  config,
  holder: process.env.BENCH_HOLDER ?? `w${process.pid}`,
  scorer: fakeScorer(ctx.store).scorer,
  connectorFor: async (_c, connection) => fastCrm(connection.tenantId),
});
const metrics = await startMetrics(ctx, { worker: true });
process.stdout.write(
  `${JSON.stringify({ metrics: metrics?.url, cron: config.schedule.cron, jitterSeconds: config.schedule.jitterSeconds })}\n`,
);
process.once('SIGTERM', () => {
  void worker
    .stop()
    .then(() => metrics?.close())
    .then(() => ctx.close())
    .then(() => process.exit(0));
});
