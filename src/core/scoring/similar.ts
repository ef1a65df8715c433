import { normalizeCurrency } from '../currency/rates.ts';
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

interface Entry {
  amountKey: number;
  cycleDays: number | null;
  /** Shared, read-only output object: queries return it without copying. */
  out: SimilarDeal;
}

/** Won deals grouped by segment and sorted by amount, for "up to 3 similar won deals". */
export interface SimilarIndex {
  find(deal: Deal, asOf: Date, k?: number): SimilarDeal[];
}

/** How far from the deal's amount a reference may be (±30%). */
const AMOUNT_BAND = 0.3;
/** Candidates examined per query, nearest amounts first: bounds the cost of huge segments. */
const SCAN_LIMIT = 64;

/** Collects won deals a page at a time (only a compact entry of each is kept), then indexes them. */
export interface SimilarIndexBuilder {
  add(deals: Iterable<Deal>): void;
  build(): SimilarIndex;
}

/**
 * Won deals are compared within a segment and a currency: a ±30% band around 50,000 yen is not
 * one around 50,000 dollars (a deal without a currency is in its CRM's corporate currency).
 */
function segmentAndCurrency(segmentBy: readonly string[]): (d: Deal) => string {
  const segmentKey = segmentKeyFn(segmentBy);
  return (d) => `${segmentKey(d)}\u0000${normalizeCurrency(d.currency) ?? ''}`;
}

export function similarIndexBuilder(segmentBy: readonly string[]): SimilarIndexBuilder {
  const bySegment = new Map<string, Entry[]>();
  const segmentKey = segmentAndCurrency(segmentBy);
  return {
    add(deals) {
      for (const d of deals) {
        if (d.stage.status !== 'won' || d.amount === null) continue;
        const key = segmentKey(d);
        const cycleDays = d.createdAt && d.closedAt ? (d.closedAt.getTime() - d.createdAt.getTime()) / 86_400_000 : null;
        const e: Entry = {
          amountKey: d.amount,
          cycleDays,
          out: Object.freeze({ externalId: d.externalId, name: d.name, amount: d.amount, cycleDays }),
        };
        (bySegment.get(key) ?? bySegment.set(key, []).get(key)!).push(e);
      }
    },
    build() {
      for (const list of bySegment.values()) list.sort((a, b) => a.amountKey - b.amountKey);
      return indexOf(bySegment, segmentKey);
    },
  };
}

/** Indexes won deals already in memory (see similarIndexBuilder to read them a page at a time). */
export function buildSimilarIndex(closed: readonly Deal[], segmentBy: readonly string[]): SimilarIndex {
  const b = similarIndexBuilder(segmentBy);
  b.add(closed);
  return b.build();
}

/**
 * A query walks outward from the deal's amount within ±30%; without a deal age the nearest
 * amounts win (and the walk stops after k), otherwise the closest cycle lengths to the deal's
 * age among the nearest SCAN_LIMIT amounts.
 */
function indexOf(bySegment: Map<string, Entry[]>, segmentKey: (d: Deal) => string): SimilarIndex {
  const pick: Entry[] = [];
  const dist: number[] = [];

  return {
    find(deal, asOf, k = 3) {
      const list = bySegment.get(segmentKey(deal));
      if (!list || deal.amount === null || k <= 0) return [];
      const amount = deal.amount;
      const lo = amount * (1 - AMOUNT_BAND);
      const hi = amount * (1 + AMOUNT_BAND);
      let a = 0;
      let b = list.length;
      while (a < b) {
        const m = (a + b) >> 1;
        if (list[m]!.amountKey < amount) a = m + 1;
        else b = m;
      }
      const age = deal.createdAt ? (asOf.getTime() - deal.createdAt.getTime()) / 86_400_000 : null;
      pick.length = 0;
      dist.length = 0;
      let left = a - 1;
      let right = a;
      for (let scanned = 0; scanned < SCAN_LIMIT; scanned++) {
        const l = left >= 0 ? list[left]! : null;
        const r = right < list.length ? list[right]! : null;
        const lOk = l !== null && l.amountKey >= lo;
        const rOk = r !== null && r.amountKey <= hi;
        if (!lOk && !rOk) break;
        let e: Entry;
        if (lOk && (!rOk || amount - l.amountKey <= r.amountKey - amount)) {
          e = l;
          left--;
        } else {
          e = r!;
          right++;
        }
        if (age === null) {
          pick.push(e);
          if (pick.length === k) break;
          continue;
        }
        // Keep the k closest cycle lengths (insertion into a tiny sorted buffer).
        const dd = e.cycleDays === null ? Number.POSITIVE_INFINITY : Math.abs(e.cycleDays - age);
        if (pick.length === k && dd >= dist[k - 1]!) continue;
        let pos = pick.length < k ? pick.length : k - 1;
        while (pos > 0 && dist[pos - 1]! > dd) {
          pick[pos] = pick[pos - 1]!;
          dist[pos] = dist[pos - 1]!;
          pos--;
        }
        pick[pos] = e;
        dist[pos] = dd;
      }
      const found = new Array<SimilarDeal>(pick.length);
      for (let i = 0; i < pick.length; i++) found[i] = pick[i]!.out;
      return found;
    },
  };
}
