// Real time: from a rep's edit in the CRM to the new score written back into that deal, through
// the web app (HubSpot's signed webhook), a worker (its real-time loop; Salesforce's change poll),
// the real connectors, mapping and scoring service, against the sandbox CRM. The reference, in
// the same run: the hourly sync of the same tenant after the same kind of edit (what a webhook
// used to trigger). Store: PGlite, or a Postgres database of its own (BENCH_DATABASE_URL).
//
// Run: npm run bench -- realtime   (BENCH_REALTIME_DEALS: deals per CRM, default 1,000;
// BENCH_REALTIME_EDITS: edits measured per CRM, default 8). The worker here looks every 0.25 s
// and polls Salesforce every 1 s, so the figures are the work itself; deployed, add the wait for
// the next look: up to schedule.pollSeconds (10 s) for a HubSpot webhook, and up to
// realtime.pollSeconds (45 s) more for a Salesforce edit.
import os from 'node:os';
import { syncTenant } from '../src/sync/sync-tenant.ts';
import { type RealtimeLoop, startRealtimeLoop } from '../test/helpers/realtime-sandbox.ts';
import { createTestStore } from '../test/helpers/store.ts';

const DEALS = Number(process.env.BENCH_REALTIME_DEALS ?? 1000);
const EDITS = Number(process.env.BENCH_REALTIME_EDITS ?? 8);
if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;

const t = await createTestStore();
const t0 = performance.now();
const loop = await startRealtimeLoop(t, { deals: DEALS, seed: 42 });
const setupS = (performance.now() - t0) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Crm = 'hubspot' | 'salesforce';
const tenantOf = (crm: Crm) => (crm === 'hubspot' ? 'hs' : 'sf');

/** The riskiest open deals first; each edit makes one much safer, so its written score moves. */
async function targets(crm: Crm): Promise<string[]> {
  return (await t.store.scores.latest(tenantOf(crm))).sort((a, b) => b.score - a.score).map((s) => s.externalId);
}

async function edit(l: RealtimeLoop, crm: Crm, id: string, i: number): Promise<void> {
  if (crm === 'hubspot') await l.editHubSpotDeal(id, { amount: String(1500 + i), dealstage: 'contractsent' });
  else await l.editOpportunity(id, { Amount: 1500 + i, StageName: 'Negotiation/Review' });
}

/** Milliseconds until the deal's written score differs from `before` (null: not within 90 s). */
async function untilWritten(l: RealtimeLoop, crm: Crm, id: string, before: number | null, started: number): Promise<number | null> {
  while (performance.now() - started < 90_000) {
    if (l.writtenScore(crm, id) !== before) return performance.now() - started;
    await sleep(5);
  }
  return null;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;

interface Result {
  crm: Crm;
  latencies: number[];
  unchanged: number;
  realtimeCalls: number[];
  hourlyMs: number;
  hourlyCalls: number;
}

async function measure(crm: Crm): Promise<Result> {
  const tenant = tenantOf(crm);
  const ids = await targets(crm);
  const latencies: number[] = [];
  const realtimeCalls: number[] = [];
  let unchanged = 0;
  for (let i = 0; i < EDITS; i++) {
    const id = ids[i]!;
    const before = loop.writtenScore(crm, id);
    const runsBefore = (await t.store.syncRuns.list(tenant, { limit: 500 })).length;
    // The sandbox clock only moves when told: a second later, the edit is news to the change poll.
    loop.sb.clock.advance({ seconds: 1 });
    const started = performance.now();
    await edit(loop, crm, id, i);
    if (crm === 'hubspot') await loop.deliverWebhook([id]);
    const ms = await untilWritten(loop, crm, id, before, started);
    if (ms === null) unchanged++;
    else latencies.push(ms);
    // Let the run record itself before the next edit.
    for (;;) {
      const runs = await t.store.syncRuns.list(tenant, { limit: 500 });
      if (runs.length > runsBefore && !runs.some((r) => r.status === 'running')) {
        realtimeCalls.push(runs.slice(0, runs.length - runsBefore).reduce((s, r) => s + r.apiCalls, 0));
        break;
      }
      await sleep(20);
    }
  }
  // The reference: the tenant's hourly sync (no worker running) after one more edit of the same kind.
  await loop.worker!.stop();
  loop.worker = null;
  loop.sb.clock.advance({ minutes: 10 });
  await edit(loop, crm, ids[EDITS]!, EDITS);
  loop.sb.clock.advance({ minutes: 1 }); // past HubSpot's search-index lag
  const h0 = performance.now();
  const hourly = await syncTenant(loop.deps, tenant, { base: loop.config, trigger: 'schedule' });
  const hourlyMs = performance.now() - h0;
  loop.startWorker();
  return { crm, latencies, unchanged, realtimeCalls, hourlyMs, hourlyCalls: hourly.runs.reduce((s, r) => s + r.apiCalls, 0) };
}

loop.startWorker();
const results: Result[] = [];
for (const crm of ['hubspot', 'salesforce'] as const) results.push(await measure(crm));

console.log(
  `Sandbox CRM with ${DEALS.toLocaleString('en-US')} deals per CRM (seed 42), first sync of both tenants in ${setupS.toFixed(0)} s; store ${process.env.BENCH_DATABASE_URL ? 'Postgres' : 'PGlite'}; load average ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}.\n`,
);
console.log(
  '| CRM | edits written back | edit → written back, median ms | p90 ms | max ms | API calls per real-time run | hourly sync of the tenant (reference), ms | its API calls | median ÷ hourly |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const med = r.latencies.length ? pct(r.latencies, 0.5) : NaN;
  console.log(
    `| ${r.crm} | ${r.latencies.length} of ${r.latencies.length + r.unchanged} | ${med.toFixed(0)} | ${pct(r.latencies, 0.9).toFixed(0)} | ${Math.max(...r.latencies).toFixed(0)} | ${pct(r.realtimeCalls, 0.5)} | ${r.hourlyMs.toFixed(0)} | ${r.hourlyCalls} | ${(med / r.hourlyMs).toFixed(2)} |`,
  );
}
for (const r of results) console.log(`\n${r.crm}, each edit in order (ms): ${r.latencies.map((x) => x.toFixed(0)).join(', ')}`);
console.log(
  '\nThe HubSpot edit is timed from the PATCH to the CRM, through the signed webhook, to the new risk_score on the deal; the Salesforce one from the PATCH to the new Risk_Score__c, found by the change poll (1 s here). Deployed, a HubSpot edit waits up to schedule.pollSeconds (10 s) for the worker to look, a Salesforce edit up to realtime.pollSeconds (45 s) more for the poll.',
);
await loop.close();
await t.drop();
