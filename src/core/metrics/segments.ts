import type { Deal } from '../deal.ts';
import { candidateFeatures, categoryReader, type DealView } from '../scoring/features.ts';
import { ownerNames } from '../scoring/owner-names.ts';
import { wilson } from '../scoring/stats.ts';

/** A segment field (industry, region, product, lead source, owner, mapped string extras). */
export interface SegmentField {
  id: string;
  label: string;
  read: (d: Deal) => string | null;
  /** What a person reads for a value: an owner's name rather than the CRM's user id. */
  name: (value: string) => string;
}

/** The category fields these deals actually fill, each with at least two values, named by `labels`. */
export function segmentFields(deals: readonly Deal[], labels: Readonly<Record<string, string>> = {}): SegmentField[] {
  const view: DealView = { deal: null as unknown as Deal, asOf: null, full: true };
  return candidateFeatures(deals, labels)
    .filter((f) => f.kind === 'category' && f.timing === 'static')
    .map((f) => {
      const r = categoryReader(f.id);
      const name = f.id === 'owner' ? ownerNames(deals) : (v: string) => v;
      const read = (d: Deal) => {
        view.deal = d;
        return r(view);
      };
      return { id: f.id, label: f.label, read, name };
    })
    .filter((f) => new Set(deals.map(f.read).filter((v) => v !== null)).size >= 2);
}

/** Optional narrowing of metrics to one owner and/or segment values. */
export interface MetricsFilter {
  owner?: string;
  /** Field id → value, e.g. `{ "account.industry": "EdTech" }`. */
  segment?: Record<string, string>;
}

export function applyFilter(deals: readonly Deal[], filter: MetricsFilter | undefined): Deal[] {
  if (!filter || (!filter.owner && !filter.segment)) return [...deals];
  const view: DealView = { deal: null as unknown as Deal, asOf: null, full: true };
  const tests = Object.entries(filter.segment ?? {}).map(([id, value]) => {
    const r = categoryReader(id);
    return (d: Deal) => {
      view.deal = d;
      return r(view) === value;
    };
  });
  return deals.filter((d) => (!filter.owner || d.owner.id === filter.owner || d.owner.name === filter.owner) && tests.every((t) => t(d)));
}

/** Win rate with counts and its 95% Wilson interval. */
export interface RateWithInterval {
  won: number;
  lost: number;
  n: number;
  winRate: number;
  low: number;
  high: number;
}

export function rateOf(won: number, lost: number, z?: number): RateWithInterval {
  const n = won + lost;
  const ci = wilson(won, n, z);
  return { won, lost, n, winRate: n ? won / n : Number.NaN, low: ci.low, high: ci.high };
}

export const cycleDays = (d: Deal): number | null =>
  d.createdAt && d.closedAt ? (d.closedAt.getTime() - d.createdAt.getTime()) / 86_400_000 : null;

export const ageDays = (d: Deal, asOf: Date): number | null => (d.createdAt ? (asOf.getTime() - d.createdAt.getTime()) / 86_400_000 : null);
