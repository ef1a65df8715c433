import type { Deal } from '../deal.ts';
import { segmentKeyFn } from './features.ts';

/** A won deal shown to the rep as a reference. */
export interface SimilarDeal {
  externalId: string;
  name: string | null;
  amount: number | null;
  /** Days from creation to win, when known. */
  cycleDays: number | null;
}

interface Entry extends SimilarDeal {
  amountKey: number;
}

/** Won deals grouped by segment and sorted by amount, for "up to 3 similar won deals". */
export interface SimilarIndex {
  find(deal: Deal, asOf: Date, k?: number): SimilarDeal[];
}

/** How far from the deal's amount a reference may be (±30%). */
const AMOUNT_BAND = 0.3;
/** Candidates examined per query, nearest amounts first: bounds the cost of huge segments. */
const SCAN_LIMIT = 64;

export function buildSimilarIndex(closed: readonly Deal[], segmentBy: readonly string[]): SimilarIndex {
  const bySegment = new Map<string, Entry[]>();
  const segmentKey = segmentKeyFn(segmentBy);
  for (const d of closed) {
    if (d.stage.status !== 'won') continue;
    const key = segmentKey(d);
    const cycleDays = d.createdAt && d.closedAt ? (d.closedAt.getTime() - d.createdAt.getTime()) / 86_400_000 : null;
    const e: Entry = { externalId: d.externalId, name: d.name, amount: d.amount, cycleDays, amountKey: d.amount ?? Number.NaN };
    (bySegment.get(key) ?? bySegment.set(key, []).get(key)!).push(e);
  }
  for (const list of bySegment.values()) list.sort((a, b) => (a.amountKey || 0) - (b.amountKey || 0));

  return {
    find(deal, asOf, k = 3) {
      const list = bySegment.get(segmentKey(deal));
      if (!list || deal.amount === null || k <= 0) return [];
      const lo = deal.amount * (1 - AMOUNT_BAND);
      const hi = deal.amount * (1 + AMOUNT_BAND);
      // First entry with amount >= the deal's amount, then walk outward by amount.
      let a = 0;
      let b = list.length;
      while (a < b) {
        const m = (a + b) >> 1;
        if (list[m]!.amountKey < deal.amount) a = m + 1;
        else b = m;
      }
      const cands: Entry[] = [];
      let left = a - 1;
      let right = a;
      while (cands.length < SCAN_LIMIT && (left >= 0 || right < list.length)) {
        const l = left >= 0 ? list[left]! : null;
        const r = right < list.length ? list[right]! : null;
        const lOk = l !== null && l.amountKey >= lo;
        const rOk = r !== null && r.amountKey <= hi;
        if (!lOk && !rOk) break;
        if (lOk && (!rOk || deal.amount - l.amountKey <= r.amountKey - deal.amount)) {
          cands.push(l);
          left--;
        } else {
          cands.push(r!);
          right++;
        }
      }
      const age = deal.createdAt ? (asOf.getTime() - deal.createdAt.getTime()) / 86_400_000 : null;
      if (age !== null) {
        const dist = (e: Entry): number => (e.cycleDays === null ? Number.POSITIVE_INFINITY : Math.abs(e.cycleDays - age));
        cands.sort((x, y) => dist(x) - dist(y));
      }
      return cands.slice(0, k).map(({ externalId, name, amount, cycleDays }) => ({ externalId, name, amount, cycleDays }));
    },
  };
}
