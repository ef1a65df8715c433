/**
 * Fuzz sizes and seed, from the environment so CI, a developer and the benchmark run the same
 * suite at different sizes: FUZZ_RECORDS (generated records across the suite, default 10,000)
 * and FUZZ_SEED (default fixed, so every run is reproducible; a failure prints the seed to replay).
 */
export const DEFAULT_SEED = 20261124;

export interface FuzzPlan {
  seed: number;
  /** Records for each target and the records per sync run. */
  hubspot: { records: number; batch: number };
  salesforce: { records: number; batch: number };
  csv: { records: number; batch: number };
}

// A run keeps 200 rejections on its record (src/sync/run-state.ts MAX_REJECTED_KEPT). About one
// record in eight is generated broken (and not every broken one is bad), so batches of 1,000
// keep every rejection checkable by name.
const BATCH = 1000;

export function fuzzPlan(env: Record<string, string | undefined> = process.env): FuzzPlan {
  const total = Number(env.FUZZ_RECORDS ?? 10_000);
  const seed = Number(env.FUZZ_SEED ?? DEFAULT_SEED);
  if (!Number.isInteger(total) || total < 3) throw new Error(`FUZZ_RECORDS must be a whole number of at least 3, got ${env.FUZZ_RECORDS}`);
  if (!Number.isInteger(seed)) throw new Error(`FUZZ_SEED must be a whole number, got ${env.FUZZ_SEED}`);
  const share = (part: number) => {
    const records = Math.max(1, Math.round(total * part));
    return { records, batch: Math.min(BATCH, records) };
  };
  // Shares by cost: a HubSpot record costs about three Salesforce ones (batch reads of 50 with history, associations).
  return { seed, hubspot: share(0.2), salesforce: share(0.4), csv: share(0.4) };
}
