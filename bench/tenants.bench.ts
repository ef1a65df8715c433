// 10,000 tenants on Postgres with 4 worker processes (issue 18): the real worker loop
// (bench/tenants-worker.ts runs src/worker with a fast in-memory CRM and the test's fake scorer)
// over a database of its own on BENCH_DATABASE_URL (created here and dropped).
//
// Time is compressed by k = BENCH_TENANTS_COMPRESS (default 10): a slot every 60/k minutes, the
// jitter window, lease TTL and renewal divided by k. The work of a run is not compressed, so k
// multiplies the rate runs fall due: lateness measured here is an upper bound of the hourly one.
// Figures are read from the workers' /metrics (slot lateness histogram, runs, process CPU), from
// pg_stat_database (transactions of this database) and /proc (CPU of this database's backends).
//
// Timeline: the idle cost before any slot; slot 1 (every tenant's first run); slot 2, with one
// worker SIGKILLed halfway through its jitter window; slot 3, where its tenants are waited for.
//
// BENCH_TENANTS=10000 BENCH_TENANTS_WORKERS=4 BENCH_TENANTS_COMPRESS=10 BENCH_TENANTS_IDLE_S=60
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import pg from 'pg';
import { openStore } from '../src/store/index.ts';
import { createScratchDatabase } from '../test/helpers/scratch-db.ts';

const admin = process.env.BENCH_DATABASE_URL;
if (!admin) {
  console.log('skipped: set BENCH_DATABASE_URL=postgres://user@host:5432/db (the simulation runs on Postgres only)');
  process.exit(0);
}
const N = Number(process.env.BENCH_TENANTS ?? 10_000);
const WORKERS = Number(process.env.BENCH_TENANTS_WORKERS ?? 4);
const k = Number(process.env.BENCH_TENANTS_COMPRESS ?? 10);
const IDLE_S = Number(process.env.BENCH_TENANTS_IDLE_S ?? 60);
const SLOTS = Number(process.env.BENCH_TENANTS_SLOTS ?? 3);
/** A slot not done after this long is reported as it stands (how many tenants started). */
const SLOT_MAX_MS = Number(process.env.BENCH_TENANTS_SLOT_MAX_S ?? 3600) * 1000;
const periodMs = (3_600_000 / k) | 0;
// k = 1: one real slot (the real jitter window and lease TTL) a few minutes from now; the next
// hour is not waited for. The cron fires once, at that minute.
const oneSlotAt = k === 1 ? Math.ceil((Date.now() + Number(process.env.BENCH_TENANTS_LEAD_S ?? 240) * 1000) / 60_000) * 60_000 : 0;
const cron = k === 1 ? `${new Date(oneSlotAt).getUTCMinutes()} ${new Date(oneSlotAt).getUTCHours()} * * *` : '';
const jitterMs = 600_000 / k;

const scratch = await createScratchDatabase(admin, 'dealrisk_tenants');
const store = await openStore({ url: scratch.url, encryptionKey: Buffer.alloc(32, 1), poolSize: 4 });
const db = store.db;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(0);

// Tenants, one CRM connection each, and their slot bookkeeping: set-based, so seeding 10,000
// takes seconds. last_slot_at = now: no catch-up run at start (a fresh deployment's state).
const ids = Array.from({ length: N }, (_, i) => `t${String(i).padStart(5, '0')}`);
await sql`insert into tenants (id, name, settings) select x, 'Tenant ' || x, '{}' from unnest(${ids}::text[]) x`.execute(db);
for (let i = 0; i < N; i += 200)
  await Promise.all(ids.slice(i, i + 200).map((id) => store.connections.create(id, { crm: 'salesforce' }, new Date())));
await sql`insert into tenant_sync (tenant_id, last_slot_at) select x, now() from unnest(${ids}::text[]) x
  on conflict (tenant_id) do update set last_slot_at = now()`.execute(db);
// BENCH_TENANTS_STEADY=1: the day's digest, quarter look and retention already done (their next
// due times tomorrow), so the idle figures are those between the daily rounds.
if (process.env.BENCH_TENANTS_STEADY)
  await sql`update tenant_sync set digest_due_at = now() + interval '1 day', quarter_due_at = now() + interval '1 day', last_purge_at = now()`.execute(
    db,
  );
console.error(`${secs()}s seeded ${N} tenants`);

const stat = new pg.Client({ connectionString: scratch.url });
await stat.connect();
const dbName = scratch.name;

/** This database's committed transactions and rows read/written, and its backends' CPU (/proc). */
async function pgSample(): Promise<{ xact: number; tup: number; cpu: number; at: number }> {
  const s = await stat.query<{ xact: string; tup: string }>(
    `select xact_commit + xact_rollback as xact, tup_returned + tup_fetched + tup_inserted + tup_updated + tup_deleted as tup
     from pg_stat_database where datname = $1`,
    [dbName],
  );
  await sampleBackends();
  let cpu = 0;
  for (const v of backendCpu.values()) cpu += v;
  return { xact: Number(s.rows[0]!.xact), tup: Number(s.rows[0]!.tup), cpu, at: performance.now() };
}
// CPU of every backend this database has had, as last seen: sampled each second, as a backend's
// time leaves /proc with it (a pool may replace its connections).
const backendCpu = new Map<number, number>();
async function sampleBackends(): Promise<void> {
  const pids = await stat.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [dbName]);
  for (const { pid } of pids.rows) {
    const v = procCpu(pid);
    if (v > 0) backendCpu.set(pid, v);
  }
}
const sampler = setInterval(() => void sampleBackends().catch(() => undefined), 1000);
const CLK = 100; // USER_HZ
function procCpu(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK; // utime, stime
  } catch {
    return 0; // the backend ended between the two reads
  }
}

interface Worker {
  holder: string;
  proc: ChildProcess;
  url: string;
  alive: boolean;
}
const basePort = 20_000 + Math.floor(Math.random() * 20_000);
const dir = path.dirname(new URL(import.meta.url).pathname);
async function startWorker(i: number): Promise<Worker> {
  const holder = `w${i}`;
  const proc = spawn(process.execPath, ['--max-old-space-size=384', '--import', 'tsx', path.join(dir, 'tenants-worker.ts')], {
    env: {
      ...process.env,
      DATABASE_URL: scratch.url,
      METRICS_PORT: String(basePort + i),
      BENCH_HOLDER: holder,
      BENCH_TENANTS_COMPRESS: String(k),
      ...(cron ? { BENCH_TENANTS_CRON: cron } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`worker ${holder} exited (${code})`)));
  });
  const w = { holder, proc, url: (JSON.parse(line) as { metrics: string }).metrics, alive: true };
  proc.once('exit', () => {
    w.alive = false;
  });
  return w;
}

type Scrape = Map<string, number>;
const NONE: Scrape = new Map();
async function scrape(w: Worker): Promise<Scrape> {
  if (!w.alive) return NONE;
  const text = await (await fetch(w.url)).text();
  const m: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}
const sumOf = (s: Scrape, prefix: string) => [...s].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);
/** Cumulative slot-lateness buckets (le → count) for scheduled runs, summed over scrapes. */
function lateness(scrapes: Scrape[]): Map<number, number> {
  const b = new Map<number, number>();
  for (const s of scrapes)
    for (const [key, v] of s) {
      const m = /^dealrisk_sync_slot_lateness_seconds_bucket\{le="([^"]+)",trigger="schedule"\}$/.exec(key);
      if (m) b.set(m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), (b.get(Number(m[1])) ?? 0) + v);
    }
  return b;
}
/** The quantile from histogram buckets, interpolated within its bucket as Prometheus' histogram_quantile does. */
function quantile(q: number, buckets: Map<number, number>): number {
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Number.POSITIVE_INFINITY) ?? 0;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const le of les) {
    const c = buckets.get(le)!;
    if (c >= rank) {
      if (le === Number.POSITIVE_INFINITY) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, c - prevCount);
    }
    prevLe = le;
    prevCount = c;
  }
  return prevLe;
}
const diff = (a: Map<number, number>, b: Map<number, number>) => new Map([...a].map(([le, v]) => [le, v - (b.get(le) ?? 0)]));

const workers: Worker[] = [];
for (let i = 0; i < WORKERS; i++) workers.push(await startWorker(i));
console.error(`${secs()}s ${WORKERS} workers up`);
const alive = () => workers.filter((w) => w.alive);
/** Every worker's metrics, in worker order; a dead worker's are empty. */
const scrapeAll = async () => Promise.all(workers.map(scrape));
const cpuOf = (s: Scrape[]) => s.reduce((a, x) => a + (x.get('process_cpu_seconds_total') ?? 0), 0);

/** Idle cost over `seconds`: queries (transactions) per second and CPU, no slot in progress. */
async function idle(seconds: number) {
  const a = await pgSample();
  const wa = await scrapeAll();
  await sleep(seconds * 1000);
  const b = await pgSample();
  const wb = await scrapeAll();
  const s = (b.at - a.at) / 1000;
  const polls = wb.map(
    (x, i) => sumOf(x, 'dealrisk_worker_poll_duration_seconds_count') - sumOf(wa[i]!, 'dealrisk_worker_poll_duration_seconds_count'),
  );
  const pollS = wb.map(
    (x, i) => sumOf(x, 'dealrisk_worker_poll_duration_seconds_sum') - sumOf(wa[i]!, 'dealrisk_worker_poll_duration_seconds_sum'),
  );
  return {
    pollMeanS:
      pollS.reduce((a, x) => a + x, 0) /
      Math.max(
        1,
        polls.reduce((a, x) => a + x, 0),
      ),
    seconds: s,
    qps: (b.xact - a.xact) / s,
    tupPerS: (b.tup - a.tup) / s,
    pgCpu: (b.cpu - a.cpu) / s,
    workerCpu: (cpuOf(wb) - cpuOf(wa)) / s,
  };
}

/** Milliseconds until the next slot boundary (slots are multiples of the period in UTC). */
const nextSlot = () => (k === 1 ? oneSlotAt : Math.ceil((Date.now() + 1000) / periodMs) * periodMs);

// Let the first poll's start-up work (every tenant's first digest check) pass, then measure idle.
await sleep(Number(process.env.BENCH_TENANTS_WARMUP_S ?? 25) * 1000);
const idle0 = await idle(Math.min(IDLE_S, (nextSlot() - Date.now()) / 1000 - 5));
console.error(`${secs()}s idle: ${JSON.stringify(idle0)}`);

interface SlotFigures {
  slot: Date;
  runs: number;
  tenants: number;
  p50: number;
  p99: number;
  max: number;
  lastStartS: number;
  workerCpu: number;
  pgCpu: number;
  xact: number;
  wall: number;
}
async function runSlot(onHalf?: () => Promise<void>): Promise<SlotFigures> {
  const slotAt = nextSlot();
  await sleep(Math.max(0, slotAt - Date.now() - 500));
  const before = await scrapeAll();
  const pa = await pgSample();
  const slot = new Date(slotAt);
  if (onHalf) {
    await sleep(slotAt + jitterMs / 2 - Date.now());
    await onHalf();
  }
  // The slot is done when every tenant has a run started at or after it, and none is running.
  for (;;) {
    await sleep(2000);
    const r = await sql<{ started: string; running: string }>`
      select count(distinct tenant_id) filter (where trigger = 'schedule') as started,
             count(*) filter (where status = 'running' and holder <> all(${workers.filter((w) => !w.alive).map((w) => w.holder)}::text[])) as running
      from sync_runs where started_at >= ${slot}`.execute(db);
    const x = r.rows[0]!;
    const waitedEnough = Date.now() > slotAt + jitterMs;
    // Done: every tenant started and none running; or out of time (reported as it stands).
    const done = Number(x.running) === 0 && Number(x.started) >= N;
    if (waitedEnough && (done || Date.now() > slotAt + Math.min(periodMs - 3000, SLOT_MAX_MS))) break;
  }
  const after = await scrapeAll();
  const pb = await pgSample();
  // A killed worker's metrics are gone with it: the slot's figures count the workers alive at its end.
  const beforeLive = before.map((b, i) => (workers[i]!.alive ? b : NONE));
  const h = diff(lateness(after), lateness(beforeLive));
  const r = await sql<{ runs: string; last: Date; tenants: string }>`
    select count(*) as runs, max(started_at) as last, count(distinct tenant_id) as tenants
    from sync_runs where trigger = 'schedule' and started_at >= ${slot}`.execute(db);
  return {
    slot,
    runs: Number(r.rows[0]!.runs),
    tenants: Number(r.rows[0]!.tenants),
    p50: quantile(0.5, h),
    p99: quantile(0.99, h),
    max: [...h]
      .filter(([le, c]) => c < (h.get(Number.POSITIVE_INFINITY) ?? 0) && le !== Number.POSITIVE_INFINITY)
      .reduce((a, [le]) => Math.max(a, le), 0),
    lastStartS: (new Date(r.rows[0]!.last).getTime() - slotAt) / 1000,
    workerCpu: cpuOf(after) - cpuOf(beforeLive),
    pgCpu: pb.cpu - pa.cpu,
    xact: pb.xact - pa.xact,
    wall: (pb.at - pa.at) / 1000,
  };
}

const slots: SlotFigures[] = [];
// The slot where worker 0 is SIGKILLed halfway through the jitter window (the 2nd of 3, or the only
// one). Its tenants: the run it had in hand (it claims a slot only when a run starts).
const killSlot = SLOTS >= 2 ? 1 : 0;
let killedAt = 0;
let orphans: string[] = [];
const kill = async () => {
  const victim = workers[0]!;
  victim.proc.kill('SIGKILL');
  killedAt = Date.now();
  await sleep(200);
  const r = await sql<{ tenant_id: string }>`select tenant_id from tenant_sync where lease_holder = ${victim.holder}`.execute(db);
  orphans = r.rows.map((x) => x.tenant_id);
  console.error(`${secs()}s killed ${victim.holder}: ${orphans.length} tenants in hand`);
};
for (let i = 0; i < SLOTS; i++) {
  slots.push(await runSlot(i === killSlot ? kill : undefined));
  console.error(`${secs()}s slot ${i + 1}: ${JSON.stringify(slots[i])}`);
}

// How long the killed worker's tenants waited: from the kill to their next run's start.
const waits = orphans.length
  ? (
      await sql<{ tenant_id: string; next: Date | null }>`
        select t.x as tenant_id, (select min(r.started_at) from sync_runs r where r.tenant_id = t.x and r.started_at > ${new Date(killedAt)}) as next
        from unnest(${orphans}::text[]) t(x)`.execute(db)
    ).rows.map((r) => (r.next ? (new Date(r.next).getTime() - killedAt) / 1000 : Number.POSITIVE_INFINITY))
  : [];

// Runs of one tenant that overlapped in time (a killed run never finishes: it counts until the next run starts).
const overlaps = await sql<{ n: string }>`
  select count(*) as n from sync_runs a join sync_runs b on a.tenant_id = b.tenant_id and a.id < b.id
  where b.started_at < coalesce(a.finished_at, 'infinity') and a.started_at < coalesce(b.finished_at, 'infinity')
    and a.status <> 'running' and b.status <> 'running'`.execute(db);
const runStats = await sql<{ trigger: string; status: string; n: string; avg_ms: number; p99_ms: number }>`
  select trigger, status, count(*) as n, avg(duration_ms)::float as avg_ms,
         percentile_cont(0.99) within group (order by duration_ms)::float as p99_ms
  from sync_runs group by 1, 2 order by 1, 2`.execute(db);
const idle1 = await idle(IDLE_S);
const recovered = (await scrapeAll()).reduce((a, x) => a + sumOf(x, 'dealrisk_sync_runs_recovered_total'), 0);

for (const w of alive()) w.proc.kill('SIGTERM');
await sleep(2000);
clearInterval(sampler);
await stat.end();
await store.close();
await scratch.drop();

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '∞');
const scale = (n: number) => f1(n * k);
console.log(
  `Tenants: ${N.toLocaleString('en-US')} on Postgres, ${WORKERS} worker processes (src/worker, one run at a time each), a CRM answering at once with one page of 20 changed deals per run, the test's fake scorer. ` +
    (k === 1
      ? `One real slot (cron "${cron}"), the real 600 s jitter window and 300 s lease TTL; the next hour is not waited for.\n`
      : `Time compressed ${k}×: a slot every ${periodMs / 60_000} min, jitter ${jitterMs / 1000} s, lease TTL ${300 / k} s (hourly scale = figure × ${k}); polls at their real 10 s and 45 s.\n`),
);
console.log(
  '| slot | scheduled runs (tenants) | lateness p50 s | p99 s | last start after slot s | p99 at hourly scale (× k) | worker CPU s | Postgres CPU s | transactions | wall s |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const [i, s] of slots.entries())
  console.log(
    `| ${i + 1}${i === killSlot ? ' (w0 killed mid-window)' : ''} | ${s.runs} (${s.tenants}) | ${f1(s.p50)} | ${f1(s.p99)} | ${f1(s.lastStartS)} | ${scale(s.p99)} | ${s.workerCpu.toFixed(1)} | ${s.pgCpu.toFixed(1)} | ${s.xact} | ${s.wall.toFixed(0)} |`,
  );
const idleRow = (name: string, x: typeof idle0) =>
  console.log(
    `| ${name} | ${x.seconds.toFixed(0)} | ${x.qps.toFixed(1)} | ${Math.round(x.tupPerS)} | ${(x.workerCpu * 100).toFixed(1)}% | ${(x.pgCpu * 100).toFixed(1)}% | ${x.pollMeanS.toFixed(2)} |`,
  );
console.log(
  '\n| idle (no slot running) | seconds | transactions/s | rows read+written/s | worker CPU (all workers, % of a core) | Postgres CPU (% of a core) | mean poll s |',
);
console.log('|---|---|---|---|---|---|---|');
idleRow('before the first slot', idle0);
idleRow('after the last slot', idle1);
console.log('\n| runs by trigger and status | n | mean ms | p99 ms |');
console.log('|---|---|---|---|');
for (const r of runStats.rows)
  console.log(`| ${r.trigger} ${r.status} | ${r.n} | ${Math.round(r.avg_ms ?? 0)} | ${Math.round(r.p99_ms ?? 0)} |`);
const sorted = [...waits].sort((a, b) => a - b);
console.log(
  `\nOverlapping runs of one tenant: ${overlaps.rows[0]!.n}. Killed worker w0 at slot ${killSlot + 1} + ${jitterMs / 2000} s: ${orphans.length} tenants in hand or claimed; ` +
    `they waited ${sorted.length ? `${f1(sorted[0]!)}–${f1(sorted[sorted.length - 1]!)} s (median ${f1(sorted[Math.floor(sorted.length / 2)]!)} s) = ${scale(sorted[Math.floor(sorted.length / 2)]! / 60)} min at hourly scale` : 'nothing'} for their next run; runs recovered (dealrisk_sync_runs_recovered_total, live workers): ${recovered}.`,
);
