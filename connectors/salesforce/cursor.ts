import { AppError } from '../../src/core/errors.ts';

/**
 * What the sync engine persists between runs, a keyset over `ORDER BY SystemModstamp, Id`:
 * - `ts`/`lastId`: the last record version stored (highest SystemModstamp, and at that instant
 *   the last Id in query order), so the next query resumes strictly after it and a mass update
 *   that landed in one instant (our own write-back) is not read again;
 * - `queriedAt`: the CRM-side time the previous change query ran. A long transaction can commit
 *   after that query with an earlier SystemModstamp, but not earlier than `queriedAt − overlap`;
 *   when that bound is at or below `ts` the next query re-reads from there;
 * - `seen`: `id@epochMs` of versions stored within that re-read window, skipped when read again.
 * `lastId` and `queriedAt` are absent in cursors written before the keyset (v1, bare ISO).
 */
export interface SyncCursor {
  ts: Date;
  seen: string[];
  lastId?: string;
  queriedAt?: Date;
}

/** Kept small: past this many, the oldest keys are dropped and may be delivered once more. */
export const SEEN_MAX = 1000;

export const recordKey = (id: string, modifiedAt: Date | null): string => `${id}@${modifiedAt?.getTime() ?? 0}`;

const keyTime = (key: string): number => Number(key.slice(key.lastIndexOf('@') + 1));

export function encodeCursor(c: SyncCursor): string {
  return JSON.stringify({
    v: 2,
    ts: c.ts.toISOString(),
    ...(c.lastId !== undefined ? { lastId: c.lastId } : {}),
    ...(c.queriedAt ? { queriedAt: c.queriedAt.toISOString() } : {}),
    seen: c.seen,
  });
}

/**
 * Reads a persisted cursor: the current form (v2), the v1 form (`{ v: 1, ts, seen }`, resumed
 * with the plain overlap below `ts`), or a bare ISO timestamp, so an admin (or a migration)
 * can start incremental syncs from a chosen instant.
 */
export function decodeCursor(raw: string | null): SyncCursor | null {
  if (raw === null || raw.trim() === '') return null;
  const text = raw.trim();
  if (!text.startsWith('{')) {
    const ts = parseDate(text);
    if (!ts) throw badCursor(raw);
    return { ts, seen: [] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw badCursor(raw, e);
  }
  const d = doc as { v?: unknown; ts?: unknown; seen?: unknown; lastId?: unknown; queriedAt?: unknown };
  const ts = parseDate(d.ts);
  if ((d.v !== 1 && d.v !== 2) || !ts || !Array.isArray(d.seen) || !d.seen.every((k) => typeof k === 'string')) throw badCursor(raw);
  const out: SyncCursor = { ts, seen: d.seen as string[] };
  if (d.v === 1) return out;
  if (d.lastId !== undefined) {
    if (typeof d.lastId !== 'string' || d.lastId === '') throw badCursor(raw);
    out.lastId = d.lastId;
  }
  if (d.queriedAt !== undefined) {
    const q = parseDate(d.queriedAt);
    if (!q) throw badCursor(raw);
    out.queriedAt = q;
  }
  return out;
}

function parseDate(v: unknown): Date | null {
  if (typeof v !== 'string') return null;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function badCursor(raw: string, cause?: unknown): AppError {
  return new AppError('input_invalid', `unreadable Salesforce sync cursor: ${raw.slice(0, 80)}`, { path: 'cursor', cause });
}

/** Where the next change query starts; see `CursorTracker.resume`. */
export type Resume =
  | { kind: 'all' }
  /** `SystemModstamp >= from`, already-stored versions skipped through `seen`. */
  | { kind: 'window'; from: Date }
  /** `SystemModstamp > ts OR (SystemModstamp = ts AND Id > lastId)`. */
  | { kind: 'after'; ts: Date; lastId: string };

/**
 * Tracks what a run has delivered: answers "was this record version already stored?" and
 * produces the cursor to persist after each page.
 */
export class CursorTracker {
  private ts: Date | null;
  private lastId: string | null;
  private queriedAt: Date | null;
  private readonly prevQueriedAt: Date | null;
  private readonly seen: Map<string, number>;

  constructor(
    start: SyncCursor | null,
    private readonly overlapMs: number,
  ) {
    this.ts = start?.ts ?? null;
    this.lastId = start?.lastId ?? null;
    this.prevQueriedAt = start?.queriedAt ?? null;
    this.queriedAt = this.prevQueriedAt;
    this.seen = new Map((start?.seen ?? []).map((k) => [k, keyTime(k)]));
  }

  /** Where this run's query starts (see resumeAfter). */
  resume(): Resume {
    return this.ts ? resumeAfter(this.ts, this.lastId, this.prevQueriedAt, this.overlapMs) : { kind: 'all' };
  }

  /** Lower bound on SystemModstamp of the next query, or null for a full read. */
  since(): Date | null {
    const r = this.resume();
    return r.kind === 'all' ? null : r.kind === 'window' ? r.from : r.ts;
  }

  /** The CRM-side time this run's change query ran (recorded in the cursor for the next run). */
  setQueriedAt(at: Date): void {
    this.queriedAt = at;
  }

  /** True when this exact record version was delivered before (earlier page or earlier run). */
  has(id: string, modifiedAt: Date | null): boolean {
    return this.seen.has(recordKey(id, modifiedAt));
  }

  /**
   * Records a delivered version; the cursor only moves forward. `ordered` says the rows come
   * in `(SystemModstamp, Id)` order, so the last one at the top stamp is the keyset's `lastId`;
   * unordered rows (Bulk API 2.0) leave no `lastId` and the next run re-reads that instant.
   */
  add(id: string, modifiedAt: Date | null, ordered = true): void {
    const t = modifiedAt?.getTime() ?? 0;
    this.seen.set(recordKey(id, modifiedAt), t);
    if (!modifiedAt) return;
    const top = this.ts?.getTime() ?? -Infinity;
    if (t > top) this.ts = modifiedAt;
    if (t >= top) this.lastId = ordered ? id : null;
  }

  /** The cursor to persist once everything added so far is stored. */
  cursor(): string | null {
    if (!this.ts) return null;
    // Only versions the next run's query can return again are persisted. In memory, keep what
    // the rest of this run's ordered query can still return (stamps from `ts` on) as well.
    const next = resumeAfter(this.ts, this.lastId, this.queriedAt, this.overlapMs);
    const floor = next.kind === 'window' ? next.from.getTime() : Infinity;
    const keep = Math.min(floor, this.ts.getTime() - this.overlapMs);
    for (const [k, t] of this.seen) if (t < keep) this.seen.delete(k);
    let keys = [...this.seen.entries()]
      .filter(([, t]) => t >= floor)
      .sort((a, b) => a[1] - b[1])
      .map(([k]) => k);
    if (keys.length > SEEN_MAX) keys = keys.slice(keys.length - SEEN_MAX);
    return encodeCursor({
      ts: this.ts,
      seen: keys,
      ...(this.lastId ? { lastId: this.lastId } : {}),
      ...(this.queriedAt ? { queriedAt: this.queriedAt } : {}),
    });
  }
}

/**
 * A late commit carries a stamp above `queriedAt − overlap` of the previous query; when that
 * bound is above `ts` the keyset alone is safe (a quiet hour costs one call whatever landed at
 * `ts`), otherwise the short window from there is re-read. Cursors without `queriedAt` (v1,
 * bare ISO) fall back to `ts − overlap`.
 */
function resumeAfter(ts: Date, lastId: string | null, queriedAt: Date | null, overlapMs: number): Resume {
  const floor = (queriedAt ?? ts).getTime() - overlapMs;
  // SOQL datetimes are whole seconds: a stamp with milliseconds cannot be the keyset's `=`.
  const wholeSecond = ts.getTime() % 1000 === 0;
  if (queriedAt && lastId && wholeSecond && floor > ts.getTime()) return { kind: 'after', ts, lastId };
  return { kind: 'window', from: new Date(Math.min(floor, ts.getTime())) };
}
