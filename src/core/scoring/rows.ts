import type { Deal } from '../deal.ts';
import type { DealView } from './features.ts';
import { hashString } from './stats.ts';

/** A deal's canonical state as stored at a moment while it was open (deal_snapshots). */
export interface DealSnapshot {
  externalId: string;
  takenAt: Date;
  deal: Deal;
}

/** Training rows: one or more point-in-time views per closed deal, each deal weighing 1 in total. */
export interface TrainingRows {
  views: DealView[];
  /** 1 = lost. */
  y: Uint8Array;
  w: Float64Array;
  /** Index of the row's deal in `deals`. */
  dealOf: Int32Array;
  deals: Deal[];
  source: 'snapshots' | 'moments' | 'static' | 'mixed' | 'none';
}

const dealKey = (d: { source: string; externalId: string }): string => `${d.source}:${d.externalId}`;

/** Ages (days) at which closed deals are replayed: creation, then quantiles of the cycle length. */
export function momentAges(cycles: number[], k: number): number[] {
  const sorted = cycles.filter((c) => c > 0).sort((a, b) => a - b);
  const ages = [0];
  for (let j = 1; j < k && sorted.length > 0; j++) {
    const a = sorted[Math.floor((j * sorted.length) / k)]!;
    if (a > ages[ages.length - 1]!) ages.push(a);
  }
  return ages;
}

/** k items spread evenly over a list (all of them when there are k or fewer). */
export function evenly<T>(items: T[], k: number): T[] {
  if (items.length <= k) return items;
  const out: T[] = [];
  for (let j = 0; j < k; j++) out.push(items[Math.floor(((j + 0.5) * items.length) / k)]!);
  return out;
}

/**
 * Builds point-in-time rows. A deal with snapshots taken while open contributes those (every
 * field trusted). Otherwise a deal with creation and close dates is replayed at fixed ages before
 * it closed, knowing only what was known then. A deal without dates contributes one static row.
 */
export function buildRows(closed: readonly Deal[], snapshots: readonly DealSnapshot[], momentsPerDeal: number): TrainingRows {
  const byDeal = new Map<string, DealSnapshot[]>();
  for (const s of snapshots) {
    if (s.deal.stage.status !== 'open') continue;
    const key = dealKey({ source: s.deal.source, externalId: s.externalId });
    const list = byDeal.get(key);
    if (list) list.push(s);
    else byDeal.set(key, [s]);
  }
  const cycles: number[] = [];
  for (const d of closed) {
    if (d.createdAt && d.closedAt) cycles.push((d.closedAt.getTime() - d.createdAt.getTime()) / 86_400_000);
  }
  const ages = momentAges(cycles, momentsPerDeal);
  const views: DealView[] = [];
  const y: number[] = [];
  const w: number[] = [];
  const dealOf: number[] = [];
  const used = new Set<'snapshots' | 'moments' | 'static'>();
  closed.forEach((d, di) => {
    const lost = d.stage.status === 'lost' ? 1 : 0;
    const closedMs = d.closedAt?.getTime() ?? Number.POSITIVE_INFINITY;
    const snaps = (byDeal.get(dealKey(d)) ?? [])
      .filter((s) => s.takenAt.getTime() < closedMs)
      .sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
    let rows: DealView[];
    if (snaps.length > 0) {
      rows = evenly(snaps, momentsPerDeal).map((s) => ({ deal: s.deal, asOf: s.takenAt, full: true }));
      used.add('snapshots');
    } else if (d.createdAt && d.closedAt && d.closedAt > d.createdAt) {
      const created = d.createdAt.getTime();
      rows = ages
        .filter((a) => created + a * 86_400_000 < closedMs)
        .map((a) => ({ deal: d, asOf: new Date(created + a * 86_400_000), full: false }));
      used.add('moments');
    } else {
      rows = [{ deal: d, asOf: null, full: false }];
      used.add('static');
    }
    for (const v of rows) {
      views.push(v);
      y.push(lost);
      w.push(1 / rows.length);
      dealOf.push(di);
    }
  });
  const source = used.size === 0 ? 'none' : used.size > 1 ? 'mixed' : [...used][0]!;
  return { views, y: Uint8Array.from(y), w: Float64Array.from(w), dealOf: Int32Array.from(dealOf), deals: [...closed], source };
}

/** Fold of each row by a hash of its deal id, so all rows of a deal share a fold. */
export function foldsFor(rows: TrainingRows, nFolds: number): Uint8Array {
  const perDeal = rows.deals.map((d) => hashString(`${d.source}:${d.externalId}`) % nFolds);
  const out = new Uint8Array(rows.views.length);
  for (let i = 0; i < out.length; i++) out[i] = perDeal[rows.dealOf[i]!]!;
  return out;
}
