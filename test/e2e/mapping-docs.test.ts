import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.ts';
import { createTestStore } from '../helpers/store.ts';

// A new user's path: the walk-through of docs/mappings.md, files copied from the page as they
// are, imported with the CLI a person runs. If the page's example stops working, this fails.
const BIN = path.resolve(import.meta.dirname, '../../bin/dealrisk.js');
const DOCS = readFileSync(path.resolve(import.meta.dirname, '../../docs/mappings.md'), 'utf8');
const KEY = Buffer.alloc(32, 4).toString('base64');

/** The files the walk-through shows, by name: each code block right after `<!-- file: NAME -->`. */
const docFiles = new Map([...DOCS.matchAll(/<!-- file: (\S+) -->\n```\w*\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));

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

describe('docs/mappings.md walk-through: a CSV with 27-Mar-12 dates and a joined accounts file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-e2e-docs-'));
  let env: Record<string, string>;
  let open: () => Promise<Store>;
  let drop = async () => {};

  beforeAll(async () => {
    expect([...docFiles.keys()].sort()).toEqual(['accounts.csv', 'my-deals.yaml', 'opportunities.csv']);
    mkdirSync(path.join(dir, 'exports'));
    writeFileSync(path.join(dir, 'exports/opportunities.csv'), docFiles.get('opportunities.csv')!);
    writeFileSync(path.join(dir, 'exports/accounts.csv'), docFiles.get('accounts.csv')!);
    writeFileSync(path.join(dir, 'my-deals.yaml'), docFiles.get('my-deals.yaml')!);
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

  it('imports every row with the account joined and the dates read, as the page says', { timeout: 120_000 }, async () => {
    const r = await cli(
      ['import', '--mapping', path.join(dir, 'my-deals.yaml'), '--file', path.join(dir, 'exports/opportunities.csv'), '--tenant', 'mine'],
      env,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^Imported 4 of 4 rows into tenant "mine"/m);
    expect(r.out).toContain(`lookups.accounts: 3 rows read from ${path.join(dir, 'exports/accounts.csv')}`);
    expect(r.out).not.toMatch(/rejected/);

    const store = await open();
    try {
      const deals = new Map((await store.deals.list('mine')).map((d) => [d.externalId, d]));
      expect([...deals.keys()].sort()).toEqual(['OPP-1', 'OPP-2', 'OPP-3', 'OPP-4']);
      const acme = deals.get('OPP-1')!;
      expect(acme).toMatchObject({
        name: 'Acme renewal',
        amount: 12_500,
        currency: 'USD',
        stage: { label: 'Closed Won', status: 'won' },
        leadSource: 'Partner',
        account: { id: 'ACC-1', name: 'Acme Corp', industry: 'Manufacturing', region: 'EMEA', size: '1001-5000' },
        extras: { vp: 'Yes' },
      });
      expect(acme.createdAt?.toISOString()).toBe('2012-03-27T00:00:00.000Z');
      expect(acme.closedAt?.toISOString()).toBe('2012-05-02T00:00:00.000Z');
      expect(deals.get('OPP-2')).toMatchObject({ stage: { status: 'lost' }, account: { name: 'Globex', industry: 'Retail' } });
      expect(deals.get('OPP-2')!.closedAt?.toISOString()).toBe('2012-06-19T00:00:00.000Z');
      const initech = deals.get('OPP-3')!;
      expect(initech).toMatchObject({
        stage: { label: 'Negotiation', status: 'open' },
        closedAt: null,
        account: { industry: 'Software', size: '51-200' },
      });
      expect(initech.createdAt?.toISOString()).toBe('2013-01-15T00:00:00.000Z');
      // The extra's label is kept for training and the charts.
      expect((await store.tenants.get('mine'))!.settings.scoring).toMatchObject({ labels: { 'extras.vp': 'VP involved' } });
    } finally {
      await store.close();
    }
  });

  it('rejects a row whose date is not in the format, naming its line, id, field and the formats tried', { timeout: 120_000 }, async () => {
    const csv = docFiles.get('opportunities.csv')!.replace('19-Jun-12', '19/06/12');
    writeFileSync(path.join(dir, 'exports/opportunities.csv'), csv);
    const r = await cli(
      ['import', '--mapping', path.join(dir, 'my-deals.yaml'), '--file', path.join(dir, 'exports/opportunities.csv'), '--tenant', 'other'],
      env,
    );
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      'line 3 (id OPP-2): closedAt: not a date in d-MMM-yy: "19/06/12" (ISO 8601 and epoch milliseconds were tried first)',
    );
  });
});
