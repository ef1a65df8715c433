import { AppError } from '../../src/core/errors.ts';

/**
 * What the sync engine persists between runs. `ts` is the highest SystemModstamp stored so
 * far; `seen` lists `id@epochMs` of the records stored within the overlap window below `ts`,
 * so the next run's overlapping query skips them instead of handing them over again.
 */
export interface SyncCursor {
  ts: Date;
  seen: string[];
}

/** Kept small: past this many, the oldest keys are dropped and may be delivered once more. */
export const SEEN_MAX = 1000;

export const recordKey = (id: string, modifiedAt: Date | null): string => `${id}@${modifiedAt?.getTime() ?? 0}`;

const keyTime = (key: string): number => Number(key.slice(key.lastIndexOf('@') + 1));

export function encodeCursor(c: SyncCursor): string {
  return JSON.stringify({ v: 1, ts: c.ts.toISOString(), seen: c.seen });
}

/**
 * Reads a persisted cursor. A bare ISO timestamp is accepted too, so an admin (or a
 * migration) can start incremental syncs from a chosen instant.
 */
export function decodeCursor(raw: string | null): SyncCursor | null {
  if (raw === null || raw.trim() === '') return null;
  const text = raw.trim();
  if (!text.startsWith('{')) {
    const ts = new Date(text);
    if (Number.isNaN(ts.getTime())) throw badCursor(raw);
    return { ts, seen: [] };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw badCursor(raw, e);
  }
  const d = doc as { v?: unknown; ts?: unknown; seen?: unknown };
  const ts = typeof d.ts === 'string' ? new Date(d.ts) : null;
  if (d.v !== 1 || !ts || Number.isNaN(ts.getTime()) || !Array.isArray(d.seen) || !d.seen.every((k) => typeof k === 'string')) {
    throw badCursor(raw);
  }
  return { ts, seen: d.seen as string[] };
}

function badCursor(raw: string, cause?: unknown): AppError {
  return new AppError('input_invalid', `unreadable Salesforce sync cursor: ${raw.slice(0, 80)}`, { path: 'cursor', cause });
}

/**
 * Tracks what a run has delivered: answers "was this record version already stored?" and
 * produces the cursor to persist after each page.
 */
export class CursorTracker {
  private ts: Date | null;
  private readonly seen: Map<string, number>;

  constructor(
    start: SyncCursor | null,
    private readonly overlapMs: number,
  ) {
    this.ts = start?.ts ?? null;
    this.seen = new Map((start?.seen ?? []).map((k) => [k, keyTime(k)]));
  }

  /** Lower bound for the next query: the cursor minus the overlap, or null for a full read. */
  since(): Date | null {
    return this.ts ? new Date(this.ts.getTime() - this.overlapMs) : null;
  }

  /** True when this exact record version was delivered before (earlier page or earlier run). */
  has(id: string, modifiedAt: Date | null): boolean {
    return this.seen.has(recordKey(id, modifiedAt));
  }

  /** Records a delivered version; the cursor only moves forward. */
  add(id: string, modifiedAt: Date | null): void {
    const t = modifiedAt?.getTime() ?? 0;
    this.seen.set(recordKey(id, modifiedAt), t);
    if (modifiedAt && (!this.ts || t > this.ts.getTime())) this.ts = modifiedAt;
  }

  /** The cursor to persist once everything added so far is stored. */
  cursor(): string | null {
    if (!this.ts) return null;
    const floor = this.ts.getTime() - this.overlapMs;
    for (const [k, t] of this.seen) if (t < floor) this.seen.delete(k);
    let keys = [...this.seen.entries()].sort((a, b) => a[1] - b[1]).map(([k]) => k);
    if (keys.length > SEEN_MAX) keys = keys.slice(keys.length - SEEN_MAX);
    return encodeCursor({ ts: this.ts, seen: keys });
  }
}
