import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvTarget } from './helpers/csv-target.ts';
import { type FuzzReport, fuzzSync } from './helpers/drive.ts';
import { fuzzPlan } from './helpers/fuzz-config.ts';
import { hubspotTarget } from './helpers/hubspot-target.ts';
import { salesforceTarget } from './helpers/salesforce-target.ts';
import { type SandboxTenants, sandboxTenants } from './helpers/sandbox-tenants.ts';

const plan = fuzzPlan();
const replay = `FUZZ_SEED=${plan.seed} FUZZ_RECORDS=${process.env.FUZZ_RECORDS ?? 10_000} npx vitest run test/integration/fuzz/hostile-records.test.ts`;

/**
 * Generated hostile records (control characters, lone surrogates, bidi and zero-width marks, emoji,
 * 1 MB values, amounts of -5e300 and 1e308, dates from year 0 to 9999, garbage, missing and extra
 * fields) put where a sync reads them: HubSpot deals and Salesforce opportunities edited through
 * the sandbox CRM's APIs, and a CSV file. Each batch is one run of the real engine (connectors,
 * shipped mappings, store, scoring service, write-back, tasks). Properties: no run fails as a
 * whole; every rejection names its record, and its field when mapping refused it; every valid
 * record lands with its values, is scored when open, and the CRM holds what was written back; the
 * REST API answers every run and deal without a 5xx. FUZZ_RECORDS sets the size, FUZZ_SEED the seed.
 */
describe(`fuzz: hostile records through a sync (seed ${plan.seed})`, () => {
  let s: SandboxTenants;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-fuzz-'));
    // Rate limits with room for the fuzz (pacing has its own tests) and a HubSpot search that sees writes at once.
    s = await sandboxTenants({
      deals: 1100,
      seed: 31,
      salesforce: { riskFields: 'ready' },
      hubspot: { riskProperties: 'ready', searchLagMs: 0, burstLimit: 10_000 },
      taskCompletionDays: null,
      csvFile: path.join(dir, 'deals.csv'),
    });
  }, 120_000);
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const expectHeld = (report: FuzzReport, records: number) => {
    console.info(`fuzz ${report.target}: ${JSON.stringify(report.totals)}`);
    expect(report.failure).toBeNull();
    expect(report.totals.runsFailed).toBe(0);
    expect(report.totals.generated).toBeGreaterThanOrEqual(records);
    // The generator makes most records valid and some broken: both kinds must have gone through.
    expect(report.totals.landed).toBeGreaterThan(report.totals.generated / 2);
    expect(report.totals.rejected).toBeGreaterThan(0);
  };
  // A minute per 1,000 records is far more than a run takes on a loaded 2-core machine.
  const timeout = (records: number) => 60_000 + records * 60;

  it(
    `HubSpot deals edited through the API (${plan.hubspot.records} records): no run fails, every rejection is named, every good deal lands, is scored and written back`,
    async () => {
      const report = await fuzzSync(s, hubspotTarget(s.sb, s.hubspot), {
        ...plan.hubspot,
        seed: plan.seed + 1,
        replay,
        tick: () => s.sb.clock.advance({ minutes: 10 }),
      });
      expectHeld(report, plan.hubspot.records);
    },
    timeout(plan.hubspot.records),
  );

  it(
    `Salesforce opportunities edited through the API (${plan.salesforce.records} records): no run fails, every rejection is named, every good deal lands, is scored and written back`,
    async () => {
      const report = await fuzzSync(s, salesforceTarget(s.sb, s.salesforce), {
        ...plan.salesforce,
        seed: plan.seed + 2,
        replay,
        tick: () => s.sb.clock.advance({ minutes: 10 }),
      });
      expectHeld(report, plan.salesforce.records);
    },
    timeout(plan.salesforce.records),
  );

  it(
    `a CSV file with hostile rows (${plan.csv.records} records): no run fails, every rejection is named by line, every good row lands and is scored`,
    async () => {
      const report = await fuzzSync(s, csvTarget(s.csv!.file, s.csv!.tenantId), { ...plan.csv, seed: plan.seed + 3, replay });
      expectHeld(report, plan.csv.records);
    },
    timeout(plan.csv.records),
  );
});
