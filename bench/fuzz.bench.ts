// The fuzz suite (test/integration/fuzz/hostile-records.test.ts) at benchmark size: hostile
// records generated with fast-check, put where a sync reads them (HubSpot and Salesforce through
// the sandbox CRM's APIs, a CSV file), synced by the real engine in runs of 1,000, every
// property checked after every run. Prints records generated / refused by the CRM / landed /
// rejected, runs failed and the time.
//
// FUZZ_RECORDS (default 30,000; `npm test` runs the suite at 10,000), FUZZ_SEED (default the suite's), BENCH_DATABASE_URL for
// Postgres (a database of its own is created there and dropped; PGlite in memory otherwise).
// Run: npm run bench -- fuzz   (or: npx tsx bench/fuzz.bench.ts)
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { csvTarget } from '../test/integration/fuzz/helpers/csv-target.ts';
import { type FuzzReport, type FuzzTarget, fuzzSync } from '../test/integration/fuzz/helpers/drive.ts';
import { fuzzPlan } from '../test/integration/fuzz/helpers/fuzz-config.ts';
import { hubspotTarget } from '../test/integration/fuzz/helpers/hubspot-target.ts';
import { salesforceTarget } from '../test/integration/fuzz/helpers/salesforce-target.ts';
import { sandboxTenants } from '../test/integration/fuzz/helpers/sandbox-tenants.ts';

const env = { ...process.env, FUZZ_RECORDS: process.env.FUZZ_RECORDS ?? '30000' };
const plan = fuzzPlan(env);
// The test store helper creates its scratch Postgres database from TEST_DATABASE_URL.
if (process.env.BENCH_DATABASE_URL) process.env.TEST_DATABASE_URL = process.env.BENCH_DATABASE_URL;
const replay = `FUZZ_SEED=${plan.seed} FUZZ_RECORDS=${env.FUZZ_RECORDS}${process.env.BENCH_DATABASE_URL ? ' BENCH_DATABASE_URL=…' : ''} npx tsx bench/fuzz.bench.ts`;

const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-bench-fuzz-'));
const started = performance.now();
// Worlds large enough that the edits of one run never touch a deal twice.
const s = await sandboxTenants({
  deals: 5_000,
  seed: 31,
  salesforce: { riskFields: 'ready' },
  hubspot: { riskProperties: 'ready', searchLagMs: 0, burstLimit: 10_000 },
  taskCompletionDays: null,
  csvFile: path.join(dir, 'deals.csv'),
});
const setupS = (performance.now() - started) / 1000;

const reports: FuzzReport[] = [];
async function drive<R>(target: FuzzTarget<R>, size: { records: number; batch: number }, seed: number, tick?: () => void): Promise<void> {
  const report = await fuzzSync(s, target, {
    ...size,
    seed,
    replay,
    ...(tick ? { tick } : {}),
    onRun: (r) =>
      console.error(
        `${target.name} run ${r.run}: ${r.status}, ${r.counts.fetched} fetched, ${r.counts.rejected} rejected, sync ${(r.ms.sync / 1000).toFixed(1)} s`,
      ),
  });
  reports.push(report);
  if (report.failure) console.error(`\n${target.name}: a property failed\n${report.failure}\n`);
}

const tick = () => void s.sb.clock.advance({ minutes: 10 });
try {
  await drive(hubspotTarget(s.sb, s.hubspot), plan.hubspot, plan.seed + 1, tick);
  await drive(salesforceTarget(s.sb, s.salesforce), plan.salesforce, plan.seed + 2, tick);
  await drive(csvTarget(s.csv!.file, s.csv!.tenantId), plan.csv, plan.seed + 3);
} finally {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
}

const store = process.env.BENCH_DATABASE_URL ? 'Postgres' : 'PGlite (in memory)';
console.log(
  `Store: ${store}. Seed ${plan.seed}. Runs of ${plan.csv.batch.toLocaleString('en-US')} records; sandbox and store set up in ${setupS.toFixed(1)} s.\n`,
);
console.log(
  '| source | generated | refused by the CRM | landed | rejected (by name) | of them unread lines | scored | write-backs checked | runs | runs failed | properties | time s | records/s |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const sum = { generated: 0, refused: 0, landed: 0, rejected: 0, unread: 0, scored: 0, written: 0, runs: 0, failed: 0, ms: 0 };
for (const r of reports) {
  const t = r.totals;
  Object.assign(sum, {
    generated: sum.generated + t.generated,
    refused: sum.refused + t.refusedBySource,
    landed: sum.landed + t.landed,
    rejected: sum.rejected + t.rejected,
    unread: sum.unread + t.unread,
    scored: sum.scored + t.scored,
    written: sum.written + t.writeBacksChecked,
    runs: sum.runs + t.runs,
    failed: sum.failed + t.runsFailed,
    ms: sum.ms + t.ms,
  });
  const n = (x: number) => x.toLocaleString('en-US');
  console.log(
    `| ${r.target} | ${n(t.generated)} | ${n(t.refusedBySource)} | ${n(t.landed)} | ${n(t.rejected)} | ${n(t.unread)} | ${n(t.scored)} | ${n(t.writeBacksChecked)} | ${t.runs} | ${t.runsFailed} | ${r.failure ? '**broken**' : 'held'} | ${(t.ms / 1000).toFixed(0)} | ${Math.round(t.generated / (t.ms / 1000))} |`,
  );
}
const n = (x: number) => x.toLocaleString('en-US');
console.log(
  `| **all** | **${n(sum.generated)}** | ${n(sum.refused)} | ${n(sum.landed)} | ${n(sum.rejected)} | ${n(sum.unread)} | ${n(sum.scored)} | ${n(sum.written)} | ${sum.runs} | **${sum.failed}** | ${reports.every((r) => !r.failure) ? 'held' : '**broken**'} | ${(sum.ms / 1000).toFixed(0)} | ${Math.round(sum.generated / (sum.ms / 1000))} |`,
);
process.exitCode = reports.some((r) => r.failure) || sum.failed ? 1 : 0;
