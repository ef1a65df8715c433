import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/deps.ts';
import { buildProgram } from '../../../src/cli/main.ts';
import type { AppContext } from '../../../src/context.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { aDeal, addDays, day, syntheticClosed } from '../../unit/scoring/builders.ts';

const asOf = day('2024-06-01');
const T = 'cli';

describe('scoring commands', () => {
  let ts: TestStore;
  let dir: string;
  let printed: string[] = [];

  const run = async (...args: string[]): Promise<string> => {
    printed = [];
    const deps: CliDeps = {
      context: async () => ({ store: ts.store, now: () => asOf }) as unknown as AppContext,
      print: (t) => printed.push(t),
      interactive: false,
    };
    await (await buildProgram(deps)).parseAsync(['node', 'dealrisk', ...args]);
    return printed.join('\n');
  };

  beforeAll(async () => {
    ts = await createTestStore();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-cli-'));
    await ts.store.tenants.ensure(T);
    const closed = syntheticClosed({ n: 800, seed: 41, lossProb: (d) => (d.leadSource === 'Partner' ? 0.9 : 0.3) }).map((d) => ({
      ...d,
      tenantId: T,
    }));
    const open = [0, 1, 2].map((i) =>
      aDeal({
        tenantId: T,
        externalId: `open-${i}`,
        name: `Open ${i}`,
        leadSource: i ? 'Inbound' : 'Partner',
        amount: 30_000,
        createdAt: addDays(asOf, -30),
      }),
    );
    await ts.store.deals.upsertMany(
      T,
      [...closed, ...open].map((deal) => ({ deal })),
      asOf,
    );
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ts?.drop();
  });

  it('evaluate --json prints the backtest figures the issue promises', async () => {
    const r = JSON.parse(await run('evaluate', '--tenant', T, '--json')) as Record<string, unknown>;
    for (const k of [
      'auc',
      'aucLow',
      'aucHigh',
      'logLoss',
      'priorLogLoss',
      'brier',
      'priorBrier',
      'status',
      'droppedFeatures',
      'nTrain',
      'nTest',
    ])
      expect(r).toHaveProperty(k);
    expect(r.status).toBe('ok');
    expect(r.nTrain as number).toBe(640);
    expect(r.nTest as number).toBe(160);
  });

  it('evaluate says in words how the model compares with naive Bayes on the same held-out deals', async () => {
    const r = JSON.parse(await run('evaluate', '--tenant', T, '--json')) as {
      nTest: number;
      baselines: Array<{ id: string; auc: number; covered: number; sentence: string }>;
    };
    const nb = r.baselines.find((b) => b.id === 'naive_bayes')!;
    expect(nb.covered).toBe(r.nTest);
    expect(nb.sentence).toMatch(/AUC \d\.\d\d vs \d\.\d\d/);
    const text = await run('evaluate', '--tenant', T);
    expect(text).toContain(`Baseline, naive Bayes over the same fields: ROC-AUC ${nb.auc.toFixed(3)} [`);
    expect(text).toContain(nb.sentence);
  });

  it('evaluate --test-file tests on a CSV file through its mapping', async () => {
    const csv = path.join(dir, 'test.csv');
    writeFileSync(
      csv,
      [
        'deal_id,created_date,closed_date,sales_rep_id,industry,region,product_type,lead_source,deal_stage,deal_amount,sales_cycle_days,outcome',
        ...Array.from(
          { length: 60 },
          (_, i) =>
            `T${i},2024-01-01,2024-02-01,rep_1,SaaS,EU,Core,${i % 2 ? 'Partner' : 'Inbound'},Closed,20000,31,${i % 2 ? (i % 10 === 1 ? 'Won' : 'Lost') : i % 10 === 0 ? 'Lost' : 'Won'}`,
        ),
      ].join('\n'),
    );
    const r = JSON.parse(
      await run('evaluate', '--tenant', T, '--test-file', csv, '--mapping', 'mappings/skygeni.csv.yaml', '--json'),
    ) as Record<string, unknown>;
    expect(r.split).toBe('explicit');
    expect(r.nTest).toBe(60);
    expect(r.nTrain).toBe(800);
    // Partner deals lose 80% here, Inbound 20%: ranking by lead source alone gives AUC 0.8.
    expect(r.auc as number).toBeCloseTo(0.8, 6);
  });

  it('evaluate --predictions writes each test deal: id, outcome, loss probability and score, as the backtest gave them', async () => {
    const file = path.join(dir, 'predictions.csv');
    const r = JSON.parse(await run('evaluate', '--tenant', T, '--predictions', file, '--json')) as {
      nTest: number;
      auc: number;
      predictionsFile: string;
    };
    expect(r.predictionsFile).toBe(file);
    const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
    expect(header).toBe('id,actual,lossProbability,riskScore');
    expect(lines).toHaveLength(r.nTest);
    const rows = lines
      .map((l) => l.split(','))
      .map(([id, actual, p, score]) => ({ id: id!, lost: actual === 'lost', p: Number(p), score: Number(score) }));
    expect(new Set(rows.map((x) => x.id)).size).toBe(r.nTest);
    for (const x of rows) expect(x.score).toBe(Math.round(100 * x.p));
    // The file is the backtest itself: its AUC, recomputed here, is the one reported.
    const lost = rows.filter((x) => x.lost);
    const won = rows.filter((x) => !x.lost);
    let wins = 0;
    for (const a of lost) for (const b of won) wins += a.p > b.p ? 1 : a.p === b.p ? 0.5 : 0;
    expect(wins / (lost.length * won.length)).toBeCloseTo(r.auc, 9);
    expect(await run('evaluate', '--tenant', T, '--predictions', file)).toContain(
      `Wrote ${r.nTest} test deals to ${file} (id, actual, lossProbability, riskScore).`,
    );
  });

  it('train activates a model and score writes every open deal to a CSV, each driver with the way it pushes', async () => {
    expect(await run('train', '--tenant', T)).toMatch(/Trained model v1 for tenant "cli".*status ok/);
    const out = path.join(dir, 'scores.csv');
    expect(await run('score', '--tenant', T, '--out', out)).toMatch(/Scored 3 open deals/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'externalId,name,riskScore,category,winProbability,confidence,modelStatus,driver1,driver1Effect,driver2,driver2Effect,driver3,driver3Effect,action1,action2,similarWon,note',
    );
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('open-0'))).toMatch(
      /,Lead source Partner: deals like this win \d+% vs \d+% overall,raises risk,/,
    );
    expect(lines.find((l) => l.startsWith('open-1'))).toMatch(
      /,Lead source Inbound: deals like this win \d+% vs \d+% overall,lowers risk,/,
    );
    expect(readFileSync(out, 'utf8')).not.toContain('…');
  });

  it('score --json prints the riskiest deals whole; only the terminal table cuts text, and says so', async () => {
    const j = JSON.parse(await run('score', '--tenant', T, '--json')) as {
      scored: number;
      riskiest: Array<{
        externalId: string;
        drivers: Array<{ direction: string; sentence: string }>;
        actions: Array<{ title: string; rationale: string }>;
      }>;
    };
    expect(j.scored).toBe(3);
    expect(j.riskiest.map((d) => d.externalId)[0]).toBe('open-0');
    const top = j.riskiest[0]!;
    expect(top.drivers[0]).toMatchObject({
      direction: 'raises_risk',
      sentence: expect.stringMatching(/^Lead source Partner: deals like this win \d+% vs \d+% overall$/),
    });
    expect(top.drivers[0]!.sentence.length).toBeGreaterThan(40);
    expect(top.actions[0]!.rationale).not.toBe('');
    expect(JSON.stringify(j)).not.toContain('…');

    const terminal = await run('score', '--tenant', T);
    expect(terminal).toMatch(/^open-0 .* \+ Lead source Partner: deals like this …/m);
    expect(terminal).toContain(
      'Text longer than 40 characters is cut here (…); --json, --out <file> and `dealrisk deals show <id>` have it in full.',
    );
  });

  it('metrics --json and insights --json report the pipeline and the planted segment', async () => {
    const m = JSON.parse(await run('metrics', '--tenant', T, '--json')) as { openDeals: number; rawPipeline: number; scoredDeals: number };
    expect(m).toMatchObject({ openDeals: 3, rawPipeline: 90_000, scoredDeals: 3 });
    const d = JSON.parse(await run('insights', '--tenant', T, '--json')) as { insights: Array<{ text: string }> };
    expect(d.insights.some((i) => /lead source Partner/.test(i.text))).toBe(true);
  });
});

describe('dealrisk import: one bad row never stops the file', () => {
  let ts: TestStore;
  let dir: string;
  let printed: string[] = [];
  const MAPPING = 'mappings/skygeni.csv.yaml';
  const HEADER =
    'deal_id,created_date,closed_date,sales_rep_id,industry,region,product_type,lead_source,deal_stage,deal_amount,sales_cycle_days,outcome';
  const row = (id: string, o: { amount?: string; created?: string; closed?: string; rep?: string } = {}) =>
    `${id},${o.created ?? '2024-01-02'},${o.closed ?? '2024-02-01'},${o.rep ?? 'rep_1'},SaaS,Europe,Core,Inbound,Closed,${o.amount ?? '1000'},30,Won`;
  const file = (name: string, lines: string[]): string => {
    const f = path.join(dir, name);
    writeFileSync(f, lines.join('\n'));
    return f;
  };
  const importJson = async (tenant: string, csv: string) => {
    printed = [];
    const deps: CliDeps = {
      context: async () => ({ store: ts.store, now: () => asOf }) as unknown as AppContext,
      print: (t) => printed.push(t),
      interactive: false,
    };
    await (await buildProgram(deps)).parseAsync([
      'node',
      'dealrisk',
      'import',
      '--mapping',
      MAPPING,
      '--file',
      csv,
      '--tenant',
      tenant,
      '--json',
    ]);
    return JSON.parse(printed.join('\n')) as {
      rows: number;
      imported: number;
      inserted: number;
      unchanged: number;
      rejected: Array<{ recordId: string; row: number; field: string; reason: string }>;
      replaced: Array<{ recordId: string; row: number; replacedRow: number }>;
      cleaned: Array<{ recordId: string; row: number; field: string; reason: string }>;
    };
  };

  beforeAll(async () => {
    ts = await createTestStore();
    dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-import-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ts?.drop();
  });

  it('stores a row whose text holds U+0000 with the text cleaned, and names the field', async () => {
    const r = await importJson('nul', file('nul.csv', [HEADER, row('N1'), row('N2', { rep: 'rep\u0000_2' }), row('N3')]));
    expect(r).toMatchObject({
      rows: 3,
      imported: 3,
      rejected: [],
      cleaned: [{ recordId: 'N2', row: 3, field: 'sales_rep_id', reason: 'removed 1 U+0000 (NUL) character' }],
    });
    expect((await ts.store.deals.get('nul', 'csv', 'N2'))?.owner.id).toBe('rep_2');
  });

  it('keeps the later row of a repeated id and names both lines', async () => {
    const r = await importJson(
      'dup',
      file('dup.csv', [HEADER, row('D1'), row('D2', { amount: '2000' }), row('D3'), row('D2', { amount: '2500' })]),
    );
    expect(r).toMatchObject({ rows: 4, imported: 3, inserted: 3, rejected: [], replaced: [{ recordId: 'D2', row: 5, replacedRow: 3 }] });
    expect((await ts.store.deals.get('dup', 'csv', 'D2'))?.amount).toBe(2500);
  });

  it('rejects a line with a malformed quote by its line number and imports the other 99', async () => {
    const lines = [HEADER, ...Array.from({ length: 100 }, (_, i) => (i === 49 ? row(`Q${i}`, { rep: 'rep "the best" 1' }) : row(`Q${i}`)))];
    const r = await importJson('quote', file('quote.csv', lines));
    expect(r).toMatchObject({ rows: 100, imported: 99 });
    expect(r.rejected).toEqual([
      { recordId: 'line-51', row: 51, field: 'sales_rep_id', reason: expect.stringContaining('Invalid Opening Quote') },
    ]);
    expect((await ts.store.deals.countByStatus('quote')).won).toBe(99);
  });

  it('rejects implausible values naming the field: a negative amount, a date in 9999, a close before the creation, an empty id', async () => {
    const r = await importJson(
      'bounds',
      file('bounds.csv', [
        HEADER,
        row('OK1'),
        row('NEG', { amount: '(500)' }),
        row('HUGE', { amount: '-5e300' }),
        row('Y9999', { created: '9999-12-31', closed: '1970-01-01' }),
        row('BACK', { created: '2024-05-01', closed: '2024-01-01' }),
        row('', {}),
        row('OK2'),
      ]),
    );
    expect(r.imported).toBe(2);
    expect(r.rejected).toEqual([
      { recordId: 'NEG', row: 3, field: 'amount', reason: 'must not be negative (got -500)' },
      { recordId: 'HUGE', row: 4, field: 'amount', reason: 'must not be negative (got -5e+300)' },
      { recordId: 'Y9999', row: 5, field: 'createdAt', reason: '9999-12-31T00:00:00.000Z is after 2099-12-31' },
      { recordId: 'BACK', row: 6, field: 'closedAt', reason: '2024-01-01 is before the deal was created (2024-05-01)' },
      { recordId: 'line-7', row: 7, field: 'deal_id', reason: 'is empty: every row needs an id' },
    ]);
    expect((await ts.store.deals.list('bounds')).map((d) => d.externalId)).toEqual(['OK1', 'OK2']);
  });

  it('refuses a file with no data rows, saying so, and imports nothing', async () => {
    await expect(importJson('empty', file('empty.csv', [HEADER]))).rejects.toMatchObject({
      code: 'input_invalid',
      message: expect.stringContaining('no data rows'),
    });
    await expect(importJson('empty', file('blank.csv', []))).rejects.toMatchObject({
      code: 'input_invalid',
      message: expect.stringContaining('no data rows'),
    });
  });

  it('stops with a clear message when the database goes away mid-file, and the same import run again finishes it', {
    timeout: 60_000,
  }, async () => {
    const lines = [HEADER, ...Array.from({ length: 12_000 }, (_, i) => row(`M${i}`))];
    const csv = file('many.csv', lines);
    // The third chunk of 5,000 meets a database that refuses everything (SQLSTATE 57014: not about one row).
    await sql`create function refuse_m11000() returns trigger language plpgsql as $$ begin
      if new.external_id = 'M11000' then raise exception 'canceling statement due to user request' using errcode = '57014'; end if;
      return new; end $$`.execute(ts.store.db);
    await sql`create trigger refuse_m11000 before insert on deals for each row execute function refuse_m11000()`.execute(ts.store.db);
    await expect(importJson('many', csv)).rejects.toMatchObject({
      message: expect.stringMatching(/stopped after storing 10000 of 12000 deals: .*Importing the same file again finishes it/),
    });
    expect((await ts.store.deals.countByStatus('many')).won).toBe(10_000);
    await sql`drop trigger refuse_m11000 on deals`.execute(ts.store.db);
    await sql`drop function refuse_m11000()`.execute(ts.store.db);
    const again = await importJson('many', csv);
    expect(again).toMatchObject({ rows: 12_000, imported: 12_000, inserted: 2000, unchanged: 10_000, rejected: [] });
    expect((await ts.store.deals.countByStatus('many')).won).toBe(12_000);
  });
});
