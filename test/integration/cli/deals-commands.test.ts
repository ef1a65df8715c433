import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/deps.ts';
import { buildProgram } from '../../../src/cli/program.ts';
import type { AppContext } from '../../../src/context.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';
import { aDeal, addDays, day, syntheticClosed } from '../../unit/scoring/builders.ts';

const asOf = day('2024-06-01');
const T = 'people';

interface ListedJson {
  counts: Record<string, number>;
  sort: string;
  order: string;
  deals: Array<{
    id: string;
    name: string | null;
    status: string;
    amount: number | null;
    closeDate: string | null;
    riskScore: number | null;
    topDriver: { label: string; direction: string; sentence: string } | null;
    firstAction: { title: string; priority: string; rationale: string } | null;
  }>;
}

describe('dealrisk deals: a list a person can act on, and one deal explained', () => {
  let ts: TestStore;
  let printed: string[] = [];
  const run = async (...args: string[]): Promise<string> => {
    printed = [];
    const deps: CliDeps = {
      context: async () => ({ store: ts.store, now: () => asOf }) as unknown as AppContext,
      print: (t) => printed.push(t),
      interactive: false,
    };
    await buildProgram(deps).parseAsync(['node', 'dealrisk', ...args]);
    return printed.join('\n');
  };
  const list = async (...args: string[]) => JSON.parse(await run('deals', 'list', '--tenant', T, '--json', ...args)) as ListedJson;

  beforeAll(async () => {
    ts = await createTestStore();
    await ts.store.tenants.ensure(T);
    const closed = syntheticClosed({ n: 600, seed: 5, lossProb: (d) => (d.leadSource === 'Partner' ? 0.9 : 0.3) }).map((d) => ({
      ...d,
      tenantId: T,
    }));
    // Ids a person reads as numbers (T2 before T10); Partner deals are the risky ones.
    const open = Array.from({ length: 12 }, (_, i) =>
      aDeal({
        tenantId: T,
        externalId: `T${i}`,
        name: `Deal ${String.fromCharCode(76 - i)}`,
        leadSource: i % 3 === 0 ? 'Partner' : 'Inbound',
        account: { industry: 'SaaS', region: 'EU' },
        product: 'Core',
        amount: 10_000 + ((i * 7) % 12) * 1000,
        createdAt: addDays(asOf, -40),
        expectedCloseDate: addDays(asOf, 10 + ((i * 5) % 12)),
      }),
    );
    await ts.store.deals.upsertMany(
      T,
      [...closed, ...open].map((deal) => ({ deal })),
      asOf,
    );
    await run('train', '--tenant', T);
    await run('score', '--tenant', T);
  });
  afterAll(async () => ts?.drop());

  it('lists the riskiest open deals first, each with its top driver and first action', async () => {
    const r = await list();
    expect(r).toMatchObject({ sort: 'risk', order: 'desc', counts: { open: 12 } });
    const open = r.deals.slice(0, 12);
    expect(open.every((d) => d.status === 'open')).toBe(true);
    const risks = open.map((d) => d.riskScore!);
    expect(risks).toEqual([...risks].sort((a, b) => b - a));
    // The four Partner deals (T0, T3, T6, T9) are the riskiest.
    expect(new Set(open.slice(0, 4).map((d) => d.id))).toEqual(new Set(['T0', 'T3', 'T6', 'T9']));
    for (const d of open) {
      expect(d.topDriver?.sentence).toMatch(/deals like this win/);
      expect(d.firstAction?.title).not.toBe('');
    }
    expect(open[0]!.topDriver).toMatchObject({
      label: 'Lead source',
      direction: 'raises_risk',
      sentence: expect.stringContaining('Lead source Partner'),
    });
    expect(r.deals.slice(12).every((d) => d.status !== 'open')).toBe(true);
  });

  it('sorts by id as a person reads them, by amount, close date or name, either way', async () => {
    expect((await list('--stage', 'open', '--sort', 'id')).deals.map((d) => d.id)).toEqual([
      'T0',
      'T1',
      'T2',
      'T3',
      'T4',
      'T5',
      'T6',
      'T7',
      'T8',
      'T9',
      'T10',
      'T11',
    ]);
    expect((await list('--stage', 'open', '--sort', 'id', '--order', 'desc', '--limit', '3')).deals.map((d) => d.id)).toEqual([
      'T11',
      'T10',
      'T9',
    ]);
    const byAmount = (await list('--stage', 'open', '--sort', 'amount', '--order', 'asc')).deals.map((d) => d.amount!);
    expect(byAmount).toEqual([...byAmount].sort((a, b) => a - b));
    expect(byAmount[0]).toBe(10_000);
    const byClose = (await list('--stage', 'open', '--sort', 'close')).deals.map((d) => d.closeDate!);
    expect(byClose).toEqual([...byClose].sort());
    expect((await list('--stage', 'open', '--sort', 'name', '--limit', '2')).deals.map((d) => d.name)).toEqual(['Deal A', 'Deal B']);
    const lowestRisk = (await list('--stage', 'open', '--order', 'asc')).deals.map((d) => d.riskScore!);
    expect(lowestRisk).toEqual([...lowestRisk].sort((a, b) => a - b));
  });

  it('sorts by the amount in the corporate currency when the CRM gave rates, deals without a rate last', async () => {
    const fx = 'fx-cli';
    await ts.store.tenants.ensure(fx);
    const open = (externalId: string, amount: number, currency: string) =>
      aDeal({ tenantId: fx, source: 'salesforce', externalId, amount, currency, expectedCloseDate: addDays(asOf, 30) });
    await ts.store.deals.upsertMany(
      fx,
      [open('eur', 10_000, 'EUR'), open('usd', 15_000, 'USD'), open('chf', 1, 'CHF')].map((deal) => ({ deal })),
      asOf,
    );
    const ids = async () =>
      (JSON.parse(await run('deals', 'list', '--tenant', fx, '--json', '--sort', 'amount')) as ListedJson).deals.map((d) => d.id);
    // As the CRM gave them, 15,000 dollars lead 10,000 euros.
    expect(await ids()).toEqual(['usd', 'eur', 'chf']);
    const rates = { corporate: 'USD', kind: 'single' as const, rates: [{ code: 'EUR', toCorporate: 2, from: null, until: null }] };
    await ts.store.currencyRates.save(fx, 'salesforce', rates, asOf);
    expect(await ids()).toEqual(['eur', 'usd', 'chf']);
    const text = await run('deals', 'list', '--tenant', fx, '--sort', 'amount', '--order', 'asc');
    expect(text).toContain('shown by amount in USD (deals without a rate last) (asc)');
    expect(text).toMatch(/10,000 EUR/);
    expect(text.indexOf('15,000 USD')).toBeLessThan(text.indexOf('10,000 EUR'));
    expect(text.indexOf('10,000 EUR')).toBeLessThan(text.indexOf(' CHF'));
  });

  it('refuses an unknown sort key, naming the choices', async () => {
    await expect(run('deals', 'list', '--sort', 'owner')).rejects.toMatchObject({
      message: expect.stringContaining('Allowed choices are risk, amount, close, name, id'),
    });
  });

  it('shows the sign of the top driver in the terminal, and says where cut text is whole', async () => {
    const out = await run('deals', 'list', '--tenant', T, '--limit', '3');
    expect(out).toMatch(/^T(0|3|6|9)\s.*\+ Lead source Partner/m);
    expect(out).toContain('Text longer than 40 characters is cut here (…); `dealrisk deals show <id>` or --json prints it in full.');
  });

  it('explains one deal: drivers with sentences, actions, similar won deals and its score history', async () => {
    await run('score', '--tenant', T);
    const out = await run('deals', 'show', 'T0', '--tenant', T);
    expect(out).toMatch(/^csv:T0 {2}Deal L$/m);
    expect(out).toMatch(/^Risk \d+\/100 \((High|Critical)\)/m);
    expect(out).toMatch(/^ {2}raises risk {2}Lead source Partner: deals like this win \d+% vs \d+% overall$/m);
    expect(out).toMatch(/^What to do:\n {2}1\. \[(immediate|this week|ongoing)\] .+/m);
    expect(out).toContain('Similar won deals:');
    expect(out).toMatch(/Score history \(newest first, 2 shown\):\n.*\n.*/);

    const j = JSON.parse(await run('deals', 'show', 'csv:T0', '--tenant', T, '--json')) as {
      id: string;
      score: {
        drivers: Array<{ sentence: string; direction: string }>;
        actions: Array<{ title: string; rationale: string }>;
        similarWon: Array<{ externalId: string }>;
      };
      history: unknown[];
    };
    expect(j.id).toBe('T0');
    expect(j.score.drivers[0]).toMatchObject({ direction: 'raises_risk', sentence: expect.stringContaining('Lead source Partner') });
    expect(j.score.actions.length).toBeGreaterThan(0);
    expect(j.score.similarWon.length).toBeGreaterThan(0);
    expect(j.history).toHaveLength(2);
  });

  it('names a deal it cannot find, and asks for the source when two share an id', async () => {
    await expect(run('deals', 'show', 'T99', '--tenant', T)).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('no deal "T99" in tenant "people"'),
    });
    await ts.store.deals.upsertMany(T, [{ deal: aDeal({ tenantId: T, source: 'hubspot', externalId: 'T1' }) }], asOf);
    await expect(run('deals', 'show', 'T1', '--tenant', T)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('ask for hubspot:T1 or csv:T1'),
    });
    expect(await run('deals', 'show', 'hubspot:T1', '--tenant', T)).toMatch(/^hubspot:T1 /);
  });
});
