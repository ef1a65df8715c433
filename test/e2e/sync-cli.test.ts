import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';
import { createTestStore } from '../helpers/store.ts';

const BIN = path.resolve(import.meta.dirname, '../../bin/dealrisk.js');
const KEY = Buffer.alloc(32, 9).toString('base64');

/** A pipeline with real signal: partner-sourced and low-activity deals lose more often. */
function pipelineCsv(n: number): string {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const rows = ['id,created,closed,outcome,amount,industry,source,owner'];
  for (let i = 0; i < n; i++) {
    const source = ['Partner', 'Inbound', 'Outbound'][i % 3]!;
    const industry = ['SaaS', 'Retail', 'Health', 'EdTech'][Math.floor(rnd() * 4)]!;
    const lossP = source === 'Partner' ? 0.8 : industry === 'SaaS' ? 0.2 : 0.45;
    const open = i >= n - 60;
    const outcome = open ? 'Open' : rnd() < lossP ? 'Lost' : 'Won';
    const created = new Date(Date.UTC(2025, 0, 1) + ((i * 400_000_000) / n) * 1000).toISOString().slice(0, 10);
    const closed = open ? '' : new Date(Date.parse(created) + (20 + Math.floor(rnd() * 60)) * 86_400_000).toISOString().slice(0, 10);
    rows.push(`R${i},${created},${closed},${outcome},${Math.round(5000 + rnd() * 50_000)},${industry},${source},rep${i % 5}`);
  }
  return rows.join('\n');
}

const MAPPING = `
version: 1
source: csv
object: pipeline
id: id
fields:
  stage.status: { from: outcome, values: { Won: won, Lost: lost, Open: open } }
  amount: { from: amount, type: number }
  createdAt: { from: created, type: date, formats: [yyyy-MM-dd] }
  closedAt: { from: closed, type: date, formats: [yyyy-MM-dd] }
  account.industry: { from: industry }
  leadSource: { from: source }
  owner.id: { from: owner }
  owner.name: { from: owner }
`;

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, NODE_ENV: 'test', ENCRYPTION_KEY: KEY, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe('dealrisk sync and migrate', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-e2e-sync-'));
  let env: Record<string, string>;
  let open: () => Promise<Store>;
  let drop = async () => {};
  beforeAll(async () => {
    writeFileSync(path.join(dir, 'pipeline.csv'), pipelineCsv(600));
    writeFileSync(path.join(dir, 'pipeline.yaml'), MAPPING);
    if (process.env.TEST_DATABASE_URL) {
      const t = await createTestStore();
      await t.store.close();
      env = { DATABASE_URL: t.url!, DATA_DIR: dir };
      open = () => openStore({ url: t.url!, encryptionKey: Buffer.from(KEY, 'base64'), poolSize: 2 });
      drop = () => t.drop().catch((e: unknown) => void e);
    } else {
      env = { DATA_DIR: dir };
      open = () => openStore({ dataDir: path.join(dir, 'pglite'), encryptionKey: Buffer.from(KEY, 'base64') });
    }
  });
  afterAll(async () => {
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('migrates the database (the Procfile release step)', { timeout: 90_000 }, async () => {
    const r = await cli(['migrate', '--json'], env);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { migrations: Array<{ name: string; executedAt: string | null }> };
    expect(out.migrations.map((m) => m.name)).toContain('0002-sync');
    expect(out.migrations.every((m) => m.executedAt !== null)).toBe(true);
  });

  it("trains on the tenant's closed deals, scores the open ones with the real model, and reports the run", {
    timeout: 120_000,
  }, async () => {
    const store = await open();
    await store.tenants.ensure('acme');
    await store.connections.create(
      'acme',
      { crm: 'csv', settings: { file: path.join(dir, 'pipeline.csv'), mapping: path.join(dir, 'pipeline.yaml') } },
      new Date(),
    );
    await store.close();

    const r = await cli(['sync', '--tenant', 'acme', '--json'], env);
    expect(r.code, r.err).toBe(0);
    const { results } = JSON.parse(r.out) as {
      results: Array<{ status: string; runs: Array<{ status: string; counts: Record<string, number>; apiCalls: number }> }>;
    };
    expect(results[0]!.status).toBe('done');
    expect(results[0]!.runs[0]).toMatchObject({
      status: 'succeeded',
      counts: expect.objectContaining({ fetched: 600, mapped: 600, rejected: 0, scored: 60, written: 60 }),
    });

    const check = await open();
    try {
      const model = await check.models.active('acme');
      expect(model).toMatchObject({ version: 1, active: true });
      expect(model!.report).toMatchObject({ closedDeals: 540 });
      const scores = await check.scores.latest('acme');
      expect(scores).toHaveLength(60);
      expect(new Set(scores.map((s) => s.modelId))).toEqual(new Set([model!.id]));
      // The model learnt the planted signal: partner-sourced open deals score riskier.
      const deals = new Map((await check.deals.list('acme', { status: 'open' })).map((d) => [d.externalId, d]));
      const mean = (src: string) => {
        const xs = scores.filter((s) => deals.get(s.externalId)!.leadSource === src).map((s) => s.score);
        return xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      expect(mean('Partner')).toBeGreaterThan(mean('Inbound') + 15);
      expect((await check.syncRuns.list('acme'))[0]).toMatchObject({ trigger: 'cli', status: 'succeeded' });
    } finally {
      await check.close();
    }

    const again = await cli(['sync', '--tenant', 'acme', '--json'], env);
    expect(again.code, again.err).toBe(0);
    const second = JSON.parse(again.out) as { results: Array<{ runs: Array<{ counts: Record<string, number>; apiCalls: number }> }> };
    expect(second.results[0]!.runs[0]).toMatchObject({
      apiCalls: 1,
      counts: expect.objectContaining({ fetched: 0, scored: 0, written: 0 }),
    });
  });

  it('names the tenant it does not know', { timeout: 60_000 }, async () => {
    const r = await cli(['sync', '--tenant', 'nobody'], env);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no tenant "nobody"');
  });
});
