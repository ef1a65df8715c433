// A full first sync of 100,000 opportunities and the hourly syncs after it, through the real
// engine (src/sync), the real scoring service and a real store: PGlite (the embedded default)
// or a Postgres database of its own (BENCH_DATABASE_URL=postgres://.../postgres).
//
// BENCH_SYNC_SOURCE=sandbox (default): the Salesforce connector (jsforce) against the sandbox
// CRM, run in a child process so the peak memory measured here is the sync's alone.
// BENCH_SYNC_SOURCE=csv: the CSV connector over a generated file (no CRM at all).
// API calls are counted at the connector and compared with the minimum for the same work:
// ⌈N/2000⌉ query pages + ⌈M/200⌉ collection writes + ⌈T/200⌉ task writes for Salesforce
// (⌈N/200⌉, ⌈M/100⌉, ⌈T/100⌉ for HubSpot). "CRM wait" is the time spent inside connector calls.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import v8 from 'node:v8';
import { parseEnv } from '../config/env.ts';
import type { AppContext } from '../src/context.ts';
import { silentLogger } from '../src/log.ts';
import { openStore } from '../src/store/index.ts';
import { loadSyncConfig } from '../src/sync/config.ts';
import { makeConnector } from '../src/sync/make-connector.ts';
import { syncTenant } from '../src/sync/sync-tenant.ts';
import { serviceScorer } from '../src/worker/service-scorer.ts';
import { createScratchDatabase } from '../test/helpers/scratch-db.ts';

// The sync runs as a worker does (`npm run worker`, the Procfile's worker): under its V8 heap
// ceiling, WORKER_HEAP_MB or the script's default. BENCH_HEAP=default measures Node's default.
const workerScript =
  (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts.worker ??
  '';
const heapMb = Number(process.env.WORKER_HEAP_MB ?? /WORKER_HEAP_MB:-(\d+)/.exec(workerScript)?.[1]);
const heapLimitMb = v8.getHeapStatistics().heap_size_limit / 2 ** 20;
if (process.env.BENCH_HEAP !== 'default' && Number.isFinite(heapMb) && heapLimitMb > heapMb * 1.5) {
  const r = spawnSync(process.execPath, [`--max-old-space-size=${heapMb}`, ...process.execArgv, new URL(import.meta.url).pathname], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}

const N = Number(process.env.BENCH_SYNC_DEALS ?? 100_000);
const SOURCE = process.env.BENCH_SYNC_SOURCE ?? 'sandbox';
const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-bench-sync-'));
const file = path.join(dir, 'opportunities.csv');

/** Salesforce-like opportunities: 40% open; outcomes follow source, industry, activity and amount. */
function generate(n: number, editedEvery = 0): string {
  let seed = 42;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const out = ['Id,Name,Amount,Outcome,Stage,CreatedDate,CloseDate,Industry,LeadSource,OwnerId,LastActivityDate'];
  const industries = ['SaaS', 'Retail', 'Health', 'EdTech', 'Finance', 'Manufacturing'];
  const sources = ['Partner', 'Inbound', 'Outbound', 'Event'];
  const stages = ['Qualification', 'Discovery', 'Proposal', 'Negotiation'];
  const day0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < n; i++) {
    const industry = industries[Math.floor(rnd() * industries.length)]!;
    const source = sources[Math.floor(rnd() * sources.length)]!;
    const amount = Math.round(2000 + rnd() ** 2 * 200_000);
    const created = day0 + Math.floor(rnd() * 1000) * 86_400_000;
    const quiet = Math.floor(rnd() * 90);
    const p =
      0.45 + (source === 'Partner' ? 0.2 : 0) + (industry === 'SaaS' ? -0.15 : 0) + (quiet > 45 ? 0.15 : 0) - (amount < 20_000 ? 0.1 : 0);
    const open = i % 5 < 2;
    const outcome = open ? 'Open' : rnd() < p ? 'Lost' : 'Won';
    const close = created + (15 + Math.floor(rnd() * 120)) * 86_400_000;
    const edited = editedEvery > 0 && open && i % editedEvery === 0;
    out.push(
      [
        `006${String(i).padStart(12, '0')}`,
        `Opportunity ${i}`,
        edited ? amount + 1000 : amount,
        outcome,
        open ? stages[i % 4] : outcome === 'Won' ? 'Closed Won' : 'Closed Lost',
        new Date(created).toISOString(),
        new Date(close).toISOString().slice(0, 10),
        industry,
        source,
        `005${i % 40}`,
        new Date(Math.min(close, created + quiet * 86_400_000)).toISOString().slice(0, 10),
      ].join(','),
    );
  }
  return out.join('\n');
}

interface SandboxInfo {
  url: string;
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  orgId: string;
  tokens: { accessToken: string; refreshToken: string; instanceUrl: string };
  clock: string;
}
async function startSandboxChild(): Promise<{ info: SandboxInfo; stop(): void; seconds: number }> {
  const t = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(path.dirname(new URL(import.meta.url).pathname), 'sync-sandbox-child.ts'), String(N)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`sandbox exited (${code})`)));
  });
  return { info: JSON.parse(line) as SandboxInfo, stop: () => child.kill('SIGTERM'), seconds: (performance.now() - t) / 1000 };
}
const sandbox = SOURCE === 'sandbox' ? await startSandboxChild() : null;

writeFileSync(
  path.join(dir, 'mapping.yaml'),
  `version: 1
source: csv
object: Opportunity
id: Id
fields:
  name: { from: Name }
  amount: { from: Amount, type: number }
  stage.status: { from: Outcome, values: { Open: open, Won: won, Lost: lost } }
  stage.label: { from: Stage }
  createdAt: { from: CreatedDate, type: datetime }
  expectedCloseDate: { from: CloseDate, type: date }
  closedAt: { from: CloseDate, type: date }
  account.industry: { from: Industry }
  leadSource: { from: LeadSource }
  owner.id: { from: OwnerId }
  owner.name: { from: OwnerId }
  lastActivityDate: { from: LastActivityDate, type: date }
`.replace('lastActivityDate', 'lastActivityAt'),
);
if (!sandbox) writeFileSync(file, generate(N));

// BENCH_DATABASE_URL=postgres://.../postgres: a database of its own is created there and dropped.
const admin = process.env.BENCH_DATABASE_URL;
const scratch = admin ? await createScratchDatabase(admin, 'dealrisk_bench') : null;
const url = scratch?.url;
const env = parseEnv({
  NODE_ENV: 'production',
  ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  SESSION_SECRET: 'x'.repeat(32),
  APP_URL: 'https://bench.example',
  DATA_DIR: dir,
  ...(url ? { DATABASE_URL: url } : {}),
  ...(sandbox
    ? {
        SALESFORCE_CLIENT_ID: sandbox.info.clientId,
        SALESFORCE_CLIENT_SECRET: sandbox.info.clientSecret,
        SALESFORCE_LOGIN_URL: sandbox.info.loginUrl,
      }
    : {}),
});
const store = await openStore({ ...(url ? { url } : { dataDir: path.join(dir, 'pglite') }), encryptionKey: Buffer.alloc(32, 1) });
const baselineRss = process.memoryUsage().rss / 2 ** 20;
let clock = new Date(sandbox?.info.clock ?? '2026-11-24T10:00:00Z');
const ctx: AppContext = { env, logger: silentLogger(), store, now: () => clock, close: () => store.close() };
const tenant = `bench-${Date.now()}`;
await store.tenants.ensure(tenant);
if (sandbox) {
  const { tokens } = sandbox.info;
  await store.connections.create(
    tenant,
    {
      crm: 'salesforce',
      accountId: sandbox.info.orgId,
      instanceUrl: tokens.instanceUrl,
      credentials: { ...tokens, accountId: sandbox.info.orgId, authBaseUrl: sandbox.info.loginUrl },
    },
    clock,
  );
} else {
  await store.connections.create(tenant, { crm: 'csv', settings: { file, mapping: path.join(dir, 'mapping.yaml') } }, clock);
}

/** Moves time on: the sandbox's clock (its reps edit, close and add deals), or edits to the file. */
async function anHourLater(): Promise<void> {
  if (sandbox) {
    const r = await fetch(`${sandbox.info.url}/_sandbox/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hours: 1 }),
    });
    clock = new Date(((await r.json()) as { now: string }).now);
  } else {
    writeFileSync(file, generate(N, 250)); // 0.4% of all deals (1% of open ones) edited
    clock = new Date(clock.getTime() + 3_600_000);
  }
}
const config = loadSyncConfig();
const mb = (n: number) => Math.round(n / 2 ** 20);
const deps = {
  ctx,
  scorer: serviceScorer(ctx),
  connectorFor: makeConnector,
  holder: 'bench',
  ...(process.env.BENCH_DEBUG
    ? {
        probe: (p: string) => {
          const m = process.memoryUsage();
          console.error(
            `${(performance.now() / 1000).toFixed(1)}s ${p} rss ${mb(m.rss)} heap ${mb(m.heapUsed)} ext ${mb(m.external)} ab ${mb(m.arrayBuffers)} maxRSS ${Math.round(process.resourceUsage().maxRSS / 1024)}`,
          );
        },
      }
    : {}),
};

interface Row {
  name: string;
  wall: number;
  rss: number;
  r: Awaited<ReturnType<typeof syncTenant>>['runs'][number];
  details: Record<string, unknown>;
}
const rows: Row[] = [];
async function run(name: string): Promise<void> {
  const t = performance.now();
  const res = await syncTenant(deps, tenant, { base: config, trigger: 'bench' });
  const wall = (performance.now() - t) / 1000;
  const r = res.runs[0]!;
  if (r.status !== 'succeeded') throw new Error(`${name}: ${r.status} ${JSON.stringify(r.errors)}`);
  const details = (await store.syncRuns.get(tenant, r.runId))!.details;
  rows.push({ name, wall, rss: process.resourceUsage().maxRSS / 1024, r, details });
}

await run(`first sync, ${N.toLocaleString('en-US')} opportunities`);
if (sandbox) {
  // The sandbox clock stands still unless moved: each hourly sync comes an hour later on it, as
  // on a real org; its reps' edits of that hour come with the echoes of our last writes.
  await anHourLater();
  await run("hourly sync, an hour later: the hour's edits and the echoes of the first sync's writes");
}
if (process.env.BENCH_EXPLAIN) {
  const { sql } = await import('kysely');
  const r = await sql
    .raw(
      `explain analyze select d.data, d.input_hash, d.external_id from deals d where d.tenant_id = '${tenant}' and d.source = 'csv' and d.status = 'open' and d.deleted_at is null and not exists (select 1 from deal_sync_state s where s.tenant_id = d.tenant_id and s.source = d.source and s.external_id = d.external_id and s.scored_hash = d.input_hash and s.model_id is not distinct from 1::bigint and s.scored_at >= '2026-11-23T00:00:00Z') order by d.external_id limit 2000`,
    )
    .execute(store.db);
  console.error(r.rows.map((x) => (x as Record<string, unknown>)['QUERY PLAN']).join('\n'));
}
if (sandbox) {
  // Run 2 wrote back at the sandbox's frozen instant: the next sync reads those echoes once.
  await run("sync again at once: the echoes of the last sync's writes");
  await run('sync again at once: nothing changed');
  await anHourLater();
  await run('hourly sync, another hour later (retrains: 50+ deals closed in two hours)');
} else {
  await run('hourly sync, nothing changed');
  await anHourLater();
  await run('hourly sync, 1% of open deals edited');
}

const min = (n: number, m: number, page: number, batch: number) => Math.ceil(n / page) + Math.ceil(m / batch);
console.log(
  `V8 heap limit: ${Math.round(heapLimitMb)} MB (${process.env.BENCH_HEAP === 'default' ? "Node's default" : `the worker's ceiling, --max-old-space-size=${heapMb}`}). ` +
    `Deals: ${N.toLocaleString('en-US')}, store: ${url ? 'Postgres' : 'PGlite (file-backed)'}, connector: ${sandbox ? `Salesforce (jsforce) against the sandbox CRM in its own process (started in ${sandbox.seconds.toFixed(0)} s)` : 'CSV over a generated file (40% open)'}. ` +
    `RSS with the store open, before the first sync: ${Math.round(baselineRss)} MB.\n`,
);
console.log(
  `| run | wall s | peak RSS MB | fetched | scored | written | tasks | API calls | Salesforce minimum | HubSpot minimum | CRM wait s | own s | own share |`,
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const x of rows) {
  const c = x.r.counts;
  const wait = Number(x.details.crmWaitMs ?? 0) / 1000;
  const own = Number(x.details.ownMs ?? 0) / 1000;
  const sf = c.fetched === 0 ? 1 : min(c.fetched, c.written, 2000, 200) + Math.ceil(c.tasks / 200);
  const hs = c.fetched === 0 ? 1 : min(c.fetched, c.written, 200, 100) + Math.ceil(c.tasks / 100);
  console.log(
    `| ${x.name} | ${x.wall.toFixed(1)} | ${Math.round(x.rss)} | ${c.fetched} | ${c.scored} | ${c.written} | ${c.tasks} | ${x.r.apiCalls} | ${sf} | ${hs} | ${wait.toFixed(2)} | ${own.toFixed(1)} | ${Math.round((own / (own + wait)) * 100)}% |`,
  );
}
const steps = rows[0]!.details.timings as Record<string, number>;
console.log(
  `\nFirst sync by step (s): ${Object.entries(steps)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}`)
    .join(', ')}.`,
);
console.log(
  `Peak RSS is this process's maximum so far${url ? '' : ' (with PGlite, its WASM heap and initdb are part of it)'}${sandbox ? '; the sandbox runs in another process' : '; it includes the generated CSV text'}.`,
);
if (sandbox)
  console.log(
    `Salesforce API calls by the sync: ${rows.map((x) => x.r.apiCalls).join(' / ')} (the connector counts every REST and Bulk API call, history queries included).`,
  );
await store.close();
sandbox?.stop();
rmSync(dir, { recursive: true, force: true });
if (scratch && process.env.BENCH_KEEP_DB) console.error(`kept database ${scratch.name}, tenant ${tenant}`);
else await scratch?.drop();
