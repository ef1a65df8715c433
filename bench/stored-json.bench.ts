// Reading deals back: what parsing stored JSON with zod at the store boundary (StoredDeal in
// src/store/deal-json.ts) costs against the hand reviver it replaced, alone and as a share of a
// real read through the store (`deals.pages`, 2,000 a page, as training and the similar-deal
// index read them). References, in the same run: the same rows selected without parsing, and the
// old reviver (kept below, verbatim) over the same documents. Store: PGlite, or a Postgres
// database of its own (BENCH_DATABASE_URL).
//
// Run: npm run bench -- stored-json   (BENCH_STORED_DEALS: deals, default 20,000)
import { Deal } from '../src/core/deal.ts';
import { dealFromJson } from '../src/store/deal-json.ts';
import { createTestStore } from '../test/helpers/store.ts';

const N = Number(process.env.BENCH_STORED_DEALS ?? 20_000);
const ROUNDS = 5;
if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;

/** The reviver dealFromJson was before (commit e96afaf): dates revived, nothing checked. */
function handReviver(obj: Record<string, unknown>): Record<string, unknown> {
  const d = { ...obj };
  for (const f of ['createdAt', 'expectedCloseDate', 'closedAt', 'lastActivityAt', 'stageEnteredAt', 'modifiedAt'])
    if (typeof d[f] === 'string') d[f] = new Date(d[f] as string);
  if (Array.isArray(d.stageHistory))
    d.stageHistory = (d.stageHistory as Array<Record<string, unknown>>).map((s) => ({ ...s, enteredAt: new Date(s.enteredAt as string) }));
  return d;
}

const day = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 86_400_000);
const deals = Array.from({ length: N }, (_, i) =>
  Deal.parse({
    tenantId: 'bench',
    source: 'salesforce',
    externalId: `006${String(i).padStart(12, '0')}`,
    name: `Deal ${i}`,
    amount: 1000 + (i % 97) * 250,
    currency: 'USD',
    stage: { label: 'Proposal', status: i % 3 === 0 ? 'open' : i % 3 === 1 ? 'won' : 'lost', order: 3 },
    createdAt: day(i % 200),
    expectedCloseDate: day(200 + (i % 90)),
    closedAt: i % 3 === 0 ? null : day(210 + (i % 90)),
    owner: { id: `005${i % 40}`, name: `Rep ${i % 40}` },
    account: { id: `001${i % 900}`, name: `Account ${i % 900}`, industry: 'SaaS', region: 'EMEA', country: 'DE', size: '51-200' },
    leadSource: 'Web',
    dealType: 'new',
    forecastCategory: 'Pipeline',
    lastActivityAt: day(140 + (i % 30)),
    activityCount: i % 25,
    contactsCount: i % 6,
    stageEnteredAt: day(120 + (i % 30)),
    closeDatePushes: i % 3,
    modifiedAt: day(170),
    stageHistory: [0, 1, 2].map((k) => ({ stage: `Stage ${k}`, status: 'open', order: k, enteredAt: day(k * 40 + (i % 30)) })),
    extras: { seats: i % 300, renewal: i % 2 === 0 },
  }),
);

const t = await createTestStore();
try {
  await t.store.tenants.ensure('bench');
  for (let i = 0; i < N; i += 2000)
    await t.store.deals.upsertMany(
      'bench',
      deals.slice(i, i + 2000).map((deal) => ({ deal })),
      day(180),
    );

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const time = async (f: () => Promise<unknown> | unknown): Promise<number> => {
    const ms: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      await f();
      ms.push(performance.now() - t0);
    }
    return median(ms);
  };

  const rawRows = async () => {
    const out: unknown[] = [];
    let after = '';
    for (;;) {
      const rows = await t.store.db
        .selectFrom('deals')
        .select(['external_id', 'data'])
        .where('tenant_id', '=', 'bench')
        .where('external_id', '>', after)
        .orderBy('external_id')
        .limit(2000)
        .execute();
      if (rows.length === 0) return out;
      for (const r of rows) out.push(r.data);
      after = rows[rows.length - 1]!.external_id;
    }
  };
  const docs = (await rawRows()) as Array<Record<string, unknown>>;
  if (docs.length !== N) throw new Error(`read ${docs.length} of ${N} deals`);

  const selectMs = await time(rawRows);
  const storeMs = await time(async () => {
    let n = 0;
    for await (const page of t.store.deals.pages('bench')) n += page.length;
    if (n !== N) throw new Error(`pages gave ${n} of ${N}`);
  });
  const reviverMs = await time(() => docs.map(handReviver));
  const zodMs = await time(() => docs.map((d) => dealFromJson(d)));

  const us = (ms: number) => ((ms * 1000) / N).toFixed(2);
  console.log(`${N.toLocaleString('en-US')} deals on ${t.url ? 'Postgres' : 'PGlite (in memory)'}, median of ${ROUNDS}\n`);
  console.log('| what | total ms | µs per deal |');
  console.log('|---|---|---|');
  console.log(`| select the documents, no parsing (reference) | ${selectMs.toFixed(0)} | ${us(selectMs)} |`);
  console.log(`| \`deals.pages\`: select + StoredDeal parse | ${storeMs.toFixed(0)} | ${us(storeMs)} |`);
  console.log(`| hand reviver alone (the old dealFromJson, reference) | ${reviverMs.toFixed(0)} | ${us(reviverMs)} |`);
  console.log(`| StoredDeal parse alone | ${zodMs.toFixed(0)} | ${us(zodMs)} |`);
  console.log(
    `\nParse vs hand reviver: ${(zodMs / reviverMs).toFixed(2)}×: ${us(zodMs - reviverMs)} µs more per deal, ` +
      `${((100 * (zodMs - reviverMs)) / storeMs).toFixed(0)}% of a read through the store (parsing in all: ${((100 * zodMs) / storeMs).toFixed(0)}%).`,
  );
} finally {
  await t.drop();
}
