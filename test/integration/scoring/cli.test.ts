import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppContext } from '../../../src/app/context.ts';
import { buildProgram } from '../../../src/cli/main.ts';
import type { CliDeps } from '../../../src/cli/deps.ts';
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
      context: async () => ({ store: ts.store, now: () => asOf } as unknown as AppContext),
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
    const closed = syntheticClosed({ n: 800, seed: 41, lossProb: (d) => (d.leadSource === 'Partner' ? 0.9 : 0.3) }).map((d) => ({ ...d, tenantId: T }));
    const open = [0, 1, 2].map((i) => aDeal({ tenantId: T, externalId: `open-${i}`, name: `Open ${i}`, leadSource: i ? 'Inbound' : 'Partner', amount: 30_000, createdAt: addDays(asOf, -30) }));
    await ts.store.deals.upsertMany(T, [...closed, ...open].map((deal) => ({ deal })), asOf);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await ts?.drop();
  });

  it('evaluate --json prints the backtest figures the issue promises', async () => {
    const r = JSON.parse(await run('evaluate', '--tenant', T, '--json')) as Record<string, unknown>;
    for (const k of ['auc', 'aucLow', 'aucHigh', 'logLoss', 'priorLogLoss', 'brier', 'priorBrier', 'status', 'droppedFeatures', 'nTrain', 'nTest']) expect(r).toHaveProperty(k);
    expect(r.status).toBe('ok');
    expect(r.nTrain as number).toBe(640);
    expect(r.nTest as number).toBe(160);
  });

  it('evaluate --test-file tests on a CSV file through its mapping', async () => {
    const csv = path.join(dir, 'test.csv');
    writeFileSync(csv, ['deal_id,created_date,closed_date,sales_rep_id,industry,region,product_type,lead_source,deal_stage,deal_amount,sales_cycle_days,outcome',
      ...Array.from({ length: 60 }, (_, i) => `T${i},2024-01-01,2024-02-01,rep_1,SaaS,EU,Core,${i % 2 ? 'Partner' : 'Inbound'},Closed,20000,31,${i % 2 ? (i % 10 === 1 ? 'Won' : 'Lost') : i % 10 === 0 ? 'Lost' : 'Won'}`)].join('\n'));
    const r = JSON.parse(await run('evaluate', '--tenant', T, '--test-file', csv, '--mapping', 'mappings/skygeni.csv.yaml', '--json')) as Record<string, unknown>;
    expect(r.split).toBe('explicit');
    expect(r.nTest).toBe(60);
    expect(r.nTrain).toBe(800);
    // Partner deals lose 80% here, Inbound 20%: ranking by lead source alone gives AUC 0.8.
    expect(r.auc as number).toBeCloseTo(0.8, 6);
  });

  it('train activates a model and score writes every open deal to a CSV', async () => {
    expect(await run('train', '--tenant', T)).toMatch(/Trained model v1 for tenant "cli".*status ok/);
    const out = path.join(dir, 'scores.csv');
    expect(await run('score', '--tenant', T, '--out', out)).toMatch(/Scored 3 open deals/);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toMatch(/^externalId,name,riskScore,category,winProbability,confidence,modelStatus,driver1/);
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('open-0'))).toMatch(/Lead source Partner: deals like this win/);
  });

  it('metrics --json and insights --json report the pipeline and the planted segment', async () => {
    const m = JSON.parse(await run('metrics', '--tenant', T, '--json')) as { openDeals: number; rawPipeline: number; scoredDeals: number };
    expect(m).toMatchObject({ openDeals: 3, rawPipeline: 90_000, scoredDeals: 3 });
    const d = JSON.parse(await run('insights', '--tenant', T, '--json')) as { insights: Array<{ text: string }> };
    expect(d.insights.some((i) => /lead source Partner/.test(i.text))).toBe(true);
  });
});
