// CSV import of the shared IBM (78,025 rows) and SkyGeni (5,000 rows) datasets, as `dealrisk
// import` does it: read → map → store, into a fresh file-backed PGlite and a fresh Postgres
// database. Next to each store step, in the same run and the same database, a bare COPY of the
// very rows it stored into a table like `deals` (same columns, key and indexes; no upsert, no
// hash look-up, no trigger): the floor of writing these rows with that engine.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'kysely';
import pg from 'pg';
import { readCsvDeals } from '../connectors/csv/index.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../src/mapping/load.ts';
import { openStore, type Store } from '../src/store/index.ts';
import { createScratchDatabase } from '../test/helpers/scratch-db.ts';

const DATASETS = path.resolve(MAPPINGS_DIR, '../../shared/datasets');
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const cases = [
  { name: 'IBM', file: path.join(DATASETS, 'ibm-sales-win-loss/WA_Fn-UseC_-Sales-Win-Loss.csv'), mapping: 'ibm.csv.yaml' },
  { name: 'SkyGeni', file: path.join(DATASETS, 'skygeni-sales-synthetic/skygeni_sales_data.csv'), mapping: 'skygeni.csv.yaml' },
];
const KEY = Buffer.alloc(32);
const SELECT_ROWS = `select * from deals where tenant_id = 'bench'`;
const s = (ms: number): string => (ms / 1000).toFixed(2);

type Deals = Awaited<ReturnType<typeof readCsvDeals>>['deals'];

/**
 * The store step exactly as `dealrisk import` runs it: upserts of 5,000 deals. Returns its wall
 * time and this process's CPU time in it (on Postgres: our JavaScript and the driver; the rest of
 * the wall time is the server's).
 */
async function storeStep(store: Store, deals: Deals): Promise<{ wall: number; cpu: number }> {
  await store.tenants.ensure('bench');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < deals.length; i += 5000) {
    await store.deals.upsertMany(
      'bench',
      deals.slice(i, i + 5000).map((deal) => ({ deal })),
      new Date(),
    );
  }
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

/**
 * PGlite: the stored rows out as a COPY blob, then timed back in, on the same data directory.
 * PGlite runs in this process, so its CPU time is the COPY's own, whatever else the machine runs.
 */
async function pgliteCopy(dataDir: string): Promise<{ wall: number; cpu: number }> {
  const lite = await PGlite.create({ dataDir });
  try {
    const out = await lite.query(`copy (${SELECT_ROWS}) to '/dev/blob' with (format csv)`);
    await lite.exec('create table copy_ref (like deals including all)');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await lite.query(`copy copy_ref from '/dev/blob' with (format csv)`, [], { blob: out.blob! });
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  } finally {
    await lite.close();
  }
}

/** Postgres: the stored rows out to a server-side file, then timed back in with COPY FROM (the server's work: no CPU of ours). */
async function postgresCopy(url: string): Promise<{ wall: number; cpu: null }> {
  const file = path.join(os.tmpdir(), `dealrisk-bench-copy-${process.pid}.csv`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`copy (${SELECT_ROWS}) to '${file}' with (format csv)`);
    await client.query('create table copy_ref (like deals including all)');
    const t0 = performance.now();
    await client.query(`copy copy_ref from '${file}' with (format csv)`);
    return { wall: performance.now() - t0, cpu: null };
  } finally {
    await client.end();
    rmSync(file, { force: true });
  }
}

async function postgresReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const noPostgres = await postgresReachable();
console.log(
  '| dataset | store | rows | read + map s | store s | bare COPY s | **store ÷ COPY**, wall | store ÷ COPY, CPU (PGlite: all in this process) | store rows/s | peak RSS MB |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const c of cases) {
  const t0 = performance.now();
  const read = await readCsvDeals({ file: c.file, mapping: loadMappingFile(path.join(MAPPINGS_DIR, c.mapping)), tenantId: 'bench' });
  const readMs = performance.now() - t0;
  const row = (store: string, step: { wall: number; cpu: number }, copy: { wall: number; cpu: number | null }): string =>
    `| ${c.name} | ${store} | ${read.rows} | ${s(readMs)} | ${s(step.wall)} (our CPU ${s(step.cpu)}) | ${s(copy.wall)}${copy.cpu === null ? '' : ` (CPU ${s(copy.cpu)})`} | **${(step.wall / copy.wall).toFixed(1)}×** | ${copy.cpu === null ? 'n/a: COPY runs in the server' : `${(step.cpu / copy.cpu).toFixed(1)}×`} | ${Math.round(read.deals.length / (step.wall / 1000))} | ${Math.round(process.resourceUsage().maxRSS / 1024)} |`;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-bench-'));
  try {
    const store = await openStore({ dataDir: dir, encryptionKey: KEY });
    const step = await storeStep(store, read.deals);
    await sql`checkpoint`.execute(store.db);
    await store.close();
    console.log(row('PGlite', step, await pgliteCopy(dir)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  if (noPostgres) continue;
  const db = await createScratchDatabase(ADMIN_URL, 'dealrisk_bench_import');
  try {
    // db.drop() ends connections the pool is still closing (57P01): expected here.
    const store = await openStore({ url: db.url, encryptionKey: KEY, onPoolError: () => undefined });
    const step = await storeStep(store, read.deals);
    await store.close();
    console.log(row('Postgres', step, await postgresCopy(db.url)));
  } finally {
    await db.drop();
  }
}
if (noPostgres) console.log(`\nPostgres rows skipped: ${ADMIN_URL} did not answer (${noPostgres}).`);
console.log(
  '\nStore opening (PGlite start + migrations) is not included; `time npx dealrisk import ...` shows the end-to-end figure. ' +
    'Bare COPY: the same rows, read back out of `deals` after the store step, copied into `copy_ref (like deals including all)` in the same database.',
);
