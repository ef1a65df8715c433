import fc from 'fast-check';
import type { Source } from '../../../../src/core/deal.ts';
import type { RunSummary } from '../../../../src/sync/run-sync.ts';
import { checkRun, type Expected, type RunTally } from './ledger.ts';
import type { SandboxTenants } from './sandbox-tenants.ts';

/** One place generated records go into: a CRM of the sandbox, or a file. */
export interface FuzzTarget<R> {
  name: string;
  tenantId: string;
  source: Source;
  /** One generated record. */
  record: fc.Arbitrary<R>;
  /**
   * Puts one batch where the next sync reads it, and says what must become of each record the
   * source now holds; `refused` counts those the source itself would not take.
   */
  plant(batch: R[], run: number): Promise<{ expected: Expected[]; refused: number }>;
  /** Risk fields as the CRM's API reports them now, by deal id (a file has none). */
  riskFields?(ids: string[]): Promise<Map<string, { score: number | null; category: string | null }>>;
}

export interface FuzzTotals {
  runs: number;
  runsFailed: number;
  generated: number;
  refusedBySource: number;
  landed: number;
  rejected: number;
  scored: number;
  /** Records in lines a file's parser reported it could not read. */
  unread: number;
  writeBacksChecked: number;
  apiCalls: number;
  ms: number;
}

export interface FuzzReport {
  target: string;
  seed: number;
  totals: FuzzTotals;
  /** Set when a run broke a property: what, and how to replay it. */
  failure: string | null;
}

const emptyTotals = (): FuzzTotals => ({
  runs: 0,
  runsFailed: 0,
  generated: 0,
  refusedBySource: 0,
  landed: 0,
  rejected: 0,
  scored: 0,
  unread: 0,
  writeBacksChecked: 0,
  apiCalls: 0,
  ms: 0,
});

/** What one run did, for a caller that reports progress (the benchmark). */
export interface RunReport {
  run: number;
  records: number;
  status: string;
  counts: Record<string, number>;
  /** Wall milliseconds: putting the batch in place, the sync, checking. */
  ms: { plant: number; sync: number; check: number };
}

/**
 * Drives `records` generated records through `target` in runs of `batch` (one sync run each) with
 * fast-check: the property holds for every batch, against the state earlier batches left. It
 * stops at the first failing run (no shrinking: a run is a whole sync) and says how to replay it.
 */
export async function fuzzSync<R>(
  s: SandboxTenants,
  target: FuzzTarget<R>,
  opts: { records: number; batch: number; seed: number; replay: string; tick?: () => void; onRun?: (r: RunReport) => void },
): Promise<FuzzReport> {
  const totals = emptyTotals();
  const started = performance.now();
  const earlier = new Map<string, Expected>();
  const property = fc.asyncProperty(fc.array(target.record, { minLength: opts.batch, maxLength: opts.batch }), async (batch) => {
    const n = totals.runs++;
    const t0 = performance.now();
    const { expected, refused } = await target.plant(batch, n);
    // Time moves between a rep's edit and the next sync (the sandbox clock stands still unless told).
    opts.tick?.();
    const t1 = performance.now();
    const result = await s.sync(target.tenantId);
    const run = result.runs[0];
    if (!run)
      throw new Error(
        `run ${n}: no sync ran (${result.status}${result.error ? `: ${result.error}` : ''}, skipped ${JSON.stringify(result.skipped)})`,
      );
    const t2 = performance.now();
    const { tally, violations } = await checkRun({
      store: s.ctx.store,
      tenantId: target.tenantId,
      source: target.source,
      run,
      expected,
      earlier,
      generated: batch.length,
      refused,
    });
    for (const e of expected) if (!e.replaced) earlier.set(e.id, e);
    add(totals, tally, run.apiCalls);
    if (target.riskFields) violations.push(...(await checkWriteBack(s, target, run.runId, expected, totals)));
    violations.push(...(await checkApi(s, target.tenantId, target.source, run, expected)));
    opts.onRun?.({
      run: n,
      records: batch.length,
      status: run.status,
      counts: run.counts,
      ms: { plant: t1 - t0, sync: t2 - t1, check: performance.now() - t2 },
    });
    if (violations.length) throw new Error(`${target.name} run ${n} (${batch.length} records):\n  ${violations.join('\n  ')}`);
  });
  const details = await fc.check(property, { seed: opts.seed, numRuns: Math.ceil(opts.records / opts.batch), endOnFailure: true });
  totals.ms = performance.now() - started;
  const failure = details.failed
    ? `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n` +
      `(fast-check seed ${details.seed}, run ${details.counterexamplePath}; the runs before it built the state it ran against: replay with ${opts.replay})`
    : null;
  return { target: target.name, seed: opts.seed, totals, failure };
}

function add(totals: FuzzTotals, tally: RunTally, apiCalls: number): void {
  totals.generated += tally.generated;
  totals.refusedBySource += tally.refusedBySource;
  totals.landed += tally.landed;
  totals.rejected += tally.rejected;
  totals.scored += tally.scored;
  totals.unread += tally.unread;
  totals.apiCalls += apiCalls;
  if (tally.failed) totals.runsFailed++;
}

/** The risk fields the CRM holds for every deal with a sent write equal the latest score: what the API reports is what we wrote. */
async function checkWriteBack<R>(
  s: SandboxTenants,
  target: FuzzTarget<R>,
  runId: number,
  expected: Expected[],
  totals: FuzzTotals,
): Promise<string[]> {
  const ours = new Set(expected.map((e) => e.id));
  const sent = (await s.ctx.store.outbox.list(target.tenantId, { kind: 'fields', status: 'sent' })).filter(
    (o) => o.source === target.source && ours.has(o.externalId),
  );
  // Sent writes in order: the last one of a deal is what the CRM should hold.
  const latest = new Map<string, { score: unknown; category: unknown }>();
  for (const o of sent) latest.set(o.externalId, (o.payload as { fields: { score: unknown; category: unknown } }).fields);
  const ids = [...latest.keys()];
  const crm = await target.riskFields!(ids);
  const out: string[] = [];
  for (const id of ids) {
    const want = latest.get(id)!;
    const got = crm.get(id);
    totals.writeBacksChecked++;
    if (!got || got.score !== Number(want.score) || got.category !== want.category) {
      out.push(`run ${runId}: deal ${id} holds risk score ${JSON.stringify(got)} in the CRM, but ${JSON.stringify(want)} was written`);
    }
    if (out.length >= 20) break;
  }
  return out;
}

/** The REST API answers for the run and for the run's deals: never a 5xx. */
async function checkApi(s: SandboxTenants, tenantId: string, source: Source, run: RunSummary, expected: Expected[]): Promise<string[]> {
  const out: string[] = [];
  const runs = await s.get(tenantId, '/v1/sync/runs?limit=1');
  const shown = runs.body?.runs?.[0] as { id: number; rejected: Array<{ step: string; recordId: string | null }> } | undefined;
  if (runs.status !== 200) out.push(`GET /v1/sync/runs answered ${runs.status}: ${JSON.stringify(runs.body).slice(0, 300)}`);
  else if (shown?.id !== run.runId) out.push(`GET /v1/sync/runs did not show run ${run.runId} first`);
  else if (
    shown.rejected.map((r) => `${r.step} ${r.recordId}`).join('\n') !== run.rejected.map((r) => `${r.step} ${r.recordId}`).join('\n')
  ) {
    out.push(`GET /v1/sync/runs shows ${shown.rejected.length} rejections for run ${run.runId}, not the ${run.rejected.length} it made`);
  }
  const highRisk = await s.get(tenantId, '/v1/deals/high-risk?limit=100');
  if (highRisk.status >= 500) out.push(`GET /v1/deals/high-risk answered ${highRisk.status}`);
  // A sample of the run's deals, hostile ids and text included (up to the route's 300 characters: longer ones get a 400 from its schema).
  for (const e of expected.filter((x) => !x.replaced && x.id.length <= 290).slice(0, 40)) {
    const res = await s.get(tenantId, `/v1/deals/${encodeURIComponent(`${source}:${e.id}`)}`);
    if (res.status >= 500)
      out.push(`GET /v1/deals/${source}:${e.id.slice(0, 40)} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  return out;
}
