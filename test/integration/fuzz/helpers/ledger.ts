import type { Deal, Source } from '../../../../src/core/deal.ts';
import { dealInputHash } from '../../../../src/core/deal-hash.ts';
import { dealFromJson } from '../../../../src/store/deal-json.ts';
import type { Store } from '../../../../src/store/index.ts';
import type { RunSummary } from '../../../../src/sync/run-sync.ts';
import type { Verdict } from './hostile-values.ts';

/** What must become of one generated record the source now holds. */
export interface Expected {
  /** The id it lands under (the CRM id; for a file, its id cell as stored). */
  id: string;
  /** For a file: its line (a rejection of a row without a usable id names `line-<row>`). */
  row?: number;
  verdict: Verdict;
  /** Canonical fields (or, for an unreadable line, the column) a rejection may name: the bad and odd ones. */
  suspects: string[];
  /** Values the landed deal must carry, by canonical path (`amount`, `stage.status`, `name`). */
  values: Record<string, unknown>;
  /** A later record of the same file with the same id replaces this one (the later one is checked). */
  replaced?: boolean;
  /** For a file: an id the database may refuse (e.g. longer than an index row holds): landing and a store rejection naming it are both right. */
  storeMayRefuse?: boolean;
}

export interface RunTally {
  generated: number;
  refusedBySource: number;
  landed: number;
  rejected: number;
  scored: number;
  /** Records in lines a file's parser reported it could not read (after a broken quote). */
  unread: number;
  failed: boolean;
}

export interface RunCheck {
  tally: RunTally;
  violations: string[];
}

const show = (v: unknown): string => {
  const s = v instanceof Date ? v.toISOString() : (JSON.stringify(v) ?? String(v));
  return s.length > 120 ? `${s.slice(0, 117)}… (${s.length} chars)` : s;
};

/** An id as a message shows it: a 1 MB id by its start and length. */
const shortId = (id: string): string => (id.length > 60 ? `${JSON.stringify(id.slice(0, 40))}… (${id.length} chars)` : id);

function read(deal: Deal, path: string): unknown {
  let cur: unknown = deal;
  for (const part of path.split('.')) cur = cur === null || cur === undefined ? undefined : (cur as Record<string, unknown>)[part];
  return cur;
}

function same(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Date) return actual instanceof Date && actual.getTime() === expected.getTime();
  if (typeof expected === 'number') return typeof actual === 'number' && actual === expected; // -0 === 0: JSON keeps no sign of zero
  return actual === expected;
}

type Rejection = RunSummary['rejected'][number];

/** A run's rejections by the name they give, and the ranges of file lines a parser could not read. */
function indexRejections(run: RunSummary, v: (m: string) => void) {
  const byName = new Map<string, Rejection[]>();
  // "(lines 51-60 were not read)" (a quote left open) or "lines 51 to the end of the file" (csv-parse stopping).
  const unread = run.rejected.flatMap((r) => {
    const m = /\(lines (\d+)-(\d+) were not read\)|lines (\d+) to the end of the file/.exec(r.reason);
    return m ? [{ r, from: Number(m[1] ?? m[3]), to: m[2] ? Number(m[2]) : Infinity }] : [];
  });
  for (const r of run.rejected) {
    // A mapping rejection is about a field (or a range of lines); a refusal by the database, the model or the CRM may be about the whole record.
    const fieldless = r.step !== 'map' || unread.some((u) => u.r === r && u.to === Infinity);
    if (!r.recordId || !r.reason || (!fieldless && !r.field))
      v(`a rejection does not name its record${fieldless ? '' : ', field'} and reason: ${show(r)}`);
    byName.set(r.recordId, [...(byName.get(r.recordId) ?? []), r]);
  }
  return {
    named: (names: string[], row: number | undefined) =>
      names
        .flatMap((n) => byName.get(n) ?? [])
        .filter((r) => (row === undefined || r.row === undefined || r.row === row) && !unread.some((u) => u.r === r)),
    inUnread: (row: number | undefined) => row !== undefined && unread.some((u) => row >= u.from && row <= u.to),
    isRange: (r: Rejection) => unread.some((u) => u.r === r),
  };
}

/** The deals stored under `ids`, and the input hash of each one's latest score. */
async function storedState(a: { store: Store; tenantId: string; source: Source }, ids: string[]) {
  const deals = new Map<string, Deal>();
  for (let i = 0; i < ids.length; i += 500) {
    const rows = await a.store.db
      .selectFrom('deals')
      .select(['external_id', 'data'])
      .where('tenant_id', '=', a.tenantId)
      .where('source', '=', a.source)
      .where('external_id', 'in', ids.slice(i, i + 500))
      .where('deleted_at', 'is', null)
      .execute();
    for (const r of rows) deals.set(r.external_id, dealFromJson(r.data as Record<string, unknown>));
  }
  const scoreHash = new Map(
    (await a.store.scores.latest(a.tenantId, { source: a.source, externalIds: ids })).map((s) => [s.externalId, s.inputHash]),
  );
  return { deals, scoreHash };
}

/**
 * Checks one sync run against what the generator made:
 * - the run did not fail as a whole and reported no run-level error;
 * - every rejection names its record and a reason, and a mapping rejection its field;
 * - a good record landed with the values it was given and, when open, was scored;
 * - a bad record was rejected naming one of its bad fields; an odd one landed or was rejected so;
 * - no record the generator did not make was rejected.
 */
export async function checkRun(a: {
  store: Store;
  tenantId: string;
  source: Source;
  run: RunSummary;
  expected: Expected[];
  /** What earlier runs planted, by id: a record still bad at its source is rejected again whenever a sync re-reads it. */
  earlier: ReadonlyMap<string, Expected>;
  generated: number;
  refused: number;
}): Promise<RunCheck> {
  const { run, expected } = a;
  const violations: string[] = [];
  const v = (m: string) => void (violations.length < 50 && violations.push(m));
  const tally: RunTally = {
    generated: a.generated,
    refusedBySource: a.refused,
    landed: 0,
    rejected: 0,
    scored: 0,
    unread: 0,
    failed: run.status === 'failed',
  };
  if (run.status === 'failed' || run.errors.length) v(`run ${run.runId} ended ${run.status}: ${show(run.errors)}`);
  const c = run.counts;
  if (c.rejected + c.writeFailed + c.taskFailed > run.rejected.length) {
    v(
      `run ${run.runId} named ${run.rejected.length} of ${c.rejected + c.writeFailed + c.taskFailed} rejections: make the batches smaller so every one can be checked`,
    );
  }
  const rejections = indexRejections(run, v);
  const state = await storedState(a, [...new Set(expected.filter((e) => !e.replaced).map((e) => e.id))]);
  const ours = new Set<string>();
  for (const e of expected) {
    const names = e.row !== undefined ? [e.id, `line-${e.row}`] : [e.id];
    for (const n of names) ours.add(n);
    if (!e.replaced) checkRecord(e, rejections.named(names, e.row), rejections.inUnread(e.row), state, run.runId, tally, v);
  }
  for (const r of run.rejected) {
    if (ours.has(r.recordId) || rejections.isRange(r)) continue;
    const before = a.earlier.get(r.recordId);
    if (!before) v(`a record the generator did not make was rejected: ${show(r)}`);
    else if (before.verdict === 'good' && !(before.storeMayRefuse && r.step === 'store'))
      v(`good record ${shortId(r.recordId)} of an earlier run was rejected when read again: ${show(r)}`);
    else if (r.step === 'map' && !before.suspects.includes(r.field ?? ''))
      v(`record ${shortId(r.recordId)} of an earlier run was rejected naming ${r.field}, not one of ${show(before.suspects)}`);
  }
  return { tally, violations };
}

function checkRecord(
  e: Expected,
  rej: Rejection[],
  unread: boolean,
  state: Awaited<ReturnType<typeof storedState>>,
  runId: number,
  tally: RunTally,
  v: (m: string) => void,
): void {
  const label = `${shortId(e.id)}${e.row !== undefined ? ` (line ${e.row})` : ''}`;
  const before = rej.filter((r) => r.step === 'map' || r.step === 'store' || r.step === 'score');
  if (!before.length && unread) {
    tally.rejected++;
    tally.unread++;
    return;
  }
  if (before.length) {
    tally.rejected++;
    const r = before[0]!;
    if (e.verdict === 'good' && !(e.storeMayRefuse && r.step === 'store'))
      v(`good record ${label} was rejected at ${r.step}: ${r.field}: ${r.reason}`);
    else if (r.step === 'map' && !e.suspects.includes(r.field ?? ''))
      v(`record ${label} was rejected naming ${r.field} (${r.reason}), not one of its suspect fields ${show(e.suspects)}`);
    return;
  }
  const deal = state.deals.get(e.id);
  if (!deal) {
    v(`${e.verdict} record ${label} neither landed nor was rejected`);
    return;
  }
  if (e.verdict === 'bad') {
    v(`bad record ${label} landed (suspects ${show(e.suspects)}): ${show(e.suspects.map((s) => read(deal, s)))}`);
    return;
  }
  tally.landed++;
  for (const [path, want] of Object.entries(e.values)) {
    const got = read(deal, path);
    if (!same(got, want)) v(`record ${label} landed with ${path} = ${show(got)}, expected ${show(want)}`);
  }
  if (deal.stage.status !== 'open') return;
  if (state.scoreHash.get(e.id) === dealInputHash(deal)) tally.scored++;
  else if (!rej.some((r) => r.step === 'score')) v(`open record ${label} landed but was not scored by run ${runId}`);
}
