import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from '../helpers/child-process.ts';

// The README's promise: `npx dealrisk ...` works while `npm start` runs on the same DATA_DIR
// (PGlite), and nothing either of them writes is lost or corrupted, whatever the order.
const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');
const BIN = path.resolve(import.meta.dirname, '../../bin/dealrisk.js');
const MAPPING = path.resolve(import.meta.dirname, '../../mappings/skygeni.csv.yaml');
const DATASET = path.resolve(import.meta.dirname, '../../../shared/datasets/skygeni-sales-synthetic/skygeni_sales_data.csv');

const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-e2e-share-'));
const csv = path.join(dir, '300.csv');
const env = {
  DATA_DIR: dir,
  DATABASE_URL: undefined,
  PORT: '0',
  SANDBOX_DEALS: '300',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
  NODE_ENV: 'development',
  ENCRYPTION_KEY: Buffer.alloc(32, 5).toString('base64'),
};
const started: Child[] = [];

function startApp(): Child {
  const app = spawnChild([MAIN], env);
  started.push(app);
  return app;
}

async function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const c = spawnChild([BIN, ...args], env);
  started.push(c);
  return c.exited;
}

async function dealCount(tenant: string): Promise<number> {
  const r = await cli('deals', 'list', '--tenant', tenant, '--limit', '1', '--json');
  expect(r.code, r.err).toBe(0);
  const { counts } = JSON.parse(r.out) as { counts: Record<string, number> };
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

/** Tenant and stored-deal count of each sync run the app has finished so far. */
function finishedSyncs(app: Child): Array<{ tenantId: string; stored: number }> {
  return app
    .output()
    .split('\n')
    .filter((l) => l.includes('"sync run finished"'))
    .map((l) => JSON.parse(l) as { tenantId: string; status: string; counts: { stored: number } })
    .filter((l) => l.status === 'succeeded')
    .map((l) => ({ tenantId: l.tenantId, stored: l.counts.stored }));
}

async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not ${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('npm start and npx dealrisk on one DATA_DIR (PGlite)', () => {
  let app: Child;
  beforeAll(async () => {
    writeFileSync(csv, readFileSync(DATASET, 'utf8').split('\n').slice(0, 301).join('\n'));
    app = startApp();
    await app.line(/dealrisk is running/, 120_000);
  }, 150_000);
  afterAll(() => {
    for (const c of started) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports through the running app while it syncs, two commands at once', { timeout: 180_000 }, async () => {
    // The demo tenants' first sync, training and scoring are running now.
    const [a, b] = await Promise.all([
      cli('import', '--mapping', MAPPING, '--file', csv, '--tenant', 't1', '--json'),
      cli('import', '--mapping', MAPPING, '--file', csv, '--tenant', 't2', '--json'),
    ]);
    for (const r of [a, b]) {
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ imported: 300 });
    }
    expect(await dealCount('t1')).toBe(300);
    expect(await dealCount('t2')).toBe(300);
    expect(existsSync(path.join(dir, 'pglite.lock'))).toBe(true);
  });

  it('refuses a second npm start on the same DATA_DIR at once, naming the running one', { timeout: 120_000 }, async () => {
    const second = await startApp().exited;
    expect(second.code).toBe(1);
    expect(second.err).toContain(`dealrisk is already running on ${path.join(dir, 'pglite')} (pid ${app.pid}`);
    expect(second.err).toContain('stop it first');
    // The running app did not notice.
    expect(await dealCount('t1')).toBe(300);
  });

  it('starts again after being killed with SIGKILL, with everything written before the kill', { timeout: 300_000 }, async () => {
    // Let the first syncs finish, so there is more than the imports to lose.
    await until(() => finishedSyncs(app).length >= 2, 180_000, 'both demo tenants synced');
    const synced = finishedSyncs(app);
    app.kill('SIGKILL');
    await app.exited;

    app = startApp();
    await app.line(/dealrisk is running/, 120_000);
    expect(await dealCount('t1')).toBe(300);
    for (const s of synced) expect(await dealCount(s.tenantId)).toBeGreaterThanOrEqual(s.stored);
  });

  it('leaves every deal to a command alone once the app has stopped', { timeout: 120_000 }, async () => {
    app.kill('SIGTERM');
    expect((await app.exited).code).toBe(0);
    expect(existsSync(path.join(dir, 'pglite.lock'))).toBe(false);
    expect(await dealCount('t1')).toBe(300);
    expect(await dealCount('t2')).toBe(300);
  });
});
