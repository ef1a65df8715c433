import type { Deal } from '../deal.ts';
import { binOf, DAY_MS } from './stats.ts';

/**
 * The raw inputs the model can use, read from a deal *as of a moment*. A feature is either a
 * category (segment) or a number cut into bins; both become integer codes that are
 * target-encoded. Code 0 always means "missing"; categories use 1 for "other / unseen".
 */
export type FeatureKind = 'category' | 'number';

/** When a value is known: `static` values are fixed at creation; `dynamic` ones change while open. */
export type FeatureTiming = 'static' | 'dynamic';

export interface FeatureDef {
  id: string;
  label: string;
  kind: FeatureKind;
  timing: FeatureTiming;
  /** Fixed cut points (numbers); quantile cuts are learned when absent. */
  cuts?: number[];
}

/**
 * A deal at a moment. `full` views trust every field (an open deal now, or a snapshot taken while
 * it was open). Non-full views are closed deals replayed at `asOf`: only values fixed at creation,
 * the age, and the stage history up to `asOf` are known then.
 */
export interface DealView {
  deal: Deal;
  asOf: Date | null;
  full: boolean;
}

const CATEGORY_FIELDS: Array<[string, string, (d: Deal) => unknown]> = [
  ['account.industry', 'Industry', (d) => d.account.industry],
  ['account.region', 'Region', (d) => d.account.region],
  ['account.country', 'Country', (d) => d.account.country],
  ['account.size', 'Company size', (d) => d.account.size],
  ['product', 'Product', (d) => d.product],
  ['leadSource', 'Lead source', (d) => d.leadSource],
  ['dealType', 'Deal type', (d) => d.dealType],
  ['owner', 'Owner', (d) => d.owner.id ?? d.owner.name],
  ['pipeline', 'Pipeline', (d) => d.pipeline],
];

/** Process features: only trustworthy in full views (open deals and snapshots). */
export const DYNAMIC_FEATURES: FeatureDef[] = [
  { id: 'stage', label: 'Stage', kind: 'category', timing: 'dynamic' },
  { id: 'forecastCategory', label: 'Forecast category', kind: 'category', timing: 'dynamic' },
  { id: 'age_ratio', label: 'Deal age', kind: 'number', timing: 'dynamic', cuts: [0.25, 0.5, 0.75, 1, 1.5, 2, 3] },
  { id: 'days_in_stage', label: 'Days in stage', kind: 'number', timing: 'dynamic', cuts: [7, 14, 30, 60, 90, 180] },
  { id: 'days_since_activity', label: 'Days since activity', kind: 'number', timing: 'dynamic', cuts: [3, 7, 14, 30, 60] },
  { id: 'close_date_pushes', label: 'Close-date pushes', kind: 'number', timing: 'dynamic', cuts: [1, 2, 3] },
  { id: 'days_to_close', label: 'Days to expected close', kind: 'number', timing: 'dynamic', cuts: [-30, 0, 14, 45, 90] },
  { id: 'contacts', label: 'Contacts', kind: 'number', timing: 'dynamic', cuts: [1, 2, 3, 5] },
  { id: 'crm_probability', label: 'CRM probability', kind: 'number', timing: 'dynamic', cuts: [0.1, 0.25, 0.5, 0.75, 0.9] },
  { id: 'quarter_end', label: 'Days to quarter end', kind: 'number', timing: 'dynamic', cuts: [15, 45] },
];

const humanize = (k: string): string => {
  const s = k.replace(/[_\-.]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
};

/**
 * Every feature a set of deals could feed: the fixed catalogue plus each mapped extra. `labels`
 * (feature id → name, from the mapping's extras labels and the tenant's settings) replace the
 * generated names ("Vp").
 */
export function candidateFeatures(deals: readonly Deal[], labels: Readonly<Record<string, string>> = {}): FeatureDef[] {
  const defs: FeatureDef[] = CATEGORY_FIELDS.map(([id, label]) => ({ id, label, kind: 'category', timing: 'static' }));
  defs.push({ id: 'amount', label: 'Amount', kind: 'number', timing: 'static' });
  const extras = new Map<string, FeatureKind>();
  for (const d of deals) {
    for (const [k, v] of Object.entries(d.extras)) {
      if (v === null) continue;
      const kind: FeatureKind = typeof v === 'number' ? 'number' : 'category';
      const seen = extras.get(k);
      // A column mixing numbers and strings is treated as a category.
      if (seen === undefined || (seen === 'number' && kind === 'category')) extras.set(k, kind);
    }
  }
  for (const [k, kind] of [...extras].sort(([a], [b]) => (a < b ? -1 : 1))) {
    defs.push({ id: `extras.${k}`, label: humanize(k), kind, timing: 'static' });
  }
  return defs.concat(DYNAMIC_FEATURES).map((d) => (labels[d.id] ? { ...d, label: labels[d.id]! } : d));
}

/** The stage a deal was in at `t` according to its history (null when unknown). */
function stageAt(deal: Deal, t: Date): { stage: string; enteredAt: Date } | null {
  let hit: { stage: string; enteredAt: Date } | null = null;
  const h = deal.stageHistory;
  for (let i = 0; i < h.length; i++) {
    const e = h[i]!;
    if (e.enteredAt.getTime() <= t.getTime() && (!hit || e.enteredAt.getTime() >= hit.enteredAt.getTime())) hit = e;
  }
  return hit;
}

function quarterEndDays(t: Date): number {
  const q = Math.floor(t.getUTCMonth() / 3);
  const end = Date.UTC(t.getUTCFullYear(), q * 3 + 3, 1);
  return (end - t.getTime()) / DAY_MS;
}

const str = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = typeof v === 'string' ? v.trim() : String(v);
  return s === '' ? null : s;
};

/** A compiled reader of one category feature (null = missing or unknown at that moment). */
export function categoryReader(id: string): (v: DealView) => string | null {
  if (id === 'stage') {
    return (v) => (v.full ? str(v.deal.stage.label ?? v.deal.stage.order) : v.asOf ? str(stageAt(v.deal, v.asOf)?.stage) : null);
  }
  if (id === 'forecastCategory') return (v) => (v.full ? str(v.deal.forecastCategory) : null);
  if (id.startsWith('extras.')) {
    const key = id.slice(7);
    return (v) => str(v.deal.extras[key]);
  }
  const f = CATEGORY_FIELDS.find(([k]) => k === id);
  if (!f) return () => null;
  const get = f[2];
  return (v) => str(get(v.deal));
}

/** Reads a category feature from a view (null = missing or unknown at that moment). */
export const readCategory = (id: string, v: DealView): string | null => categoryReader(id)(v);

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const days = (from: Date | null, to: Date | null): number | null => (from && to ? (to.getTime() - from.getTime()) / DAY_MS : null);

/**
 * Reads a number feature. `cycleFor` gives the deal's segment median cycle in days (age_ratio
 * compares the deal's age to what deals like it take).
 */
export function readNumber(id: string, v: DealView, cycleFor: (d: Deal) => number | null): number | null {
  const d = v.deal;
  switch (id) {
    case 'amount':
      return num(d.amount);
    case 'age_ratio': {
      const age = days(d.createdAt, v.asOf);
      const cycle = cycleFor(d);
      return age === null || cycle === null || age < 0 ? null : age / Math.max(cycle, 1);
    }
    case 'days_in_stage': {
      if (!v.asOf) return null;
      const entered = v.full ? (d.stageEnteredAt ?? stageAt(d, v.asOf)?.enteredAt ?? null) : (stageAt(d, v.asOf)?.enteredAt ?? null);
      return days(entered, v.asOf);
    }
    case 'days_since_activity':
      return v.full ? days(d.lastActivityAt, v.asOf) : null;
    case 'close_date_pushes':
      return v.full ? num(d.closeDatePushes) : null;
    case 'days_to_close':
      return v.full ? days(v.asOf, d.expectedCloseDate) : null;
    case 'contacts':
      return v.full ? num(d.contactsCount) : null;
    case 'crm_probability':
      return v.full ? num(d.crmProbability) : null;
    case 'quarter_end':
      return v.asOf ? quarterEndDays(v.asOf) : null;
    default:
      return id.startsWith('extras.') ? num(d.extras[id.slice(7)]) : null;
  }
}

/** Code of a number: 0 missing, 1 + bin index otherwise. */
export const numberCode = (x: number | null, cuts: ArrayLike<number>): number => (x === null ? 0 : 1 + binOf(x, cuts));

/** A compiled segment-key function: the deal's segment for cycle medians, similar deals and RAPV. */
export function segmentKeyFn(segmentBy: readonly string[]): (d: Deal) => string {
  const readers = segmentBy.map(categoryReader);
  const view: DealView = { deal: null as unknown as Deal, asOf: null, full: true };
  return (d) => {
    view.deal = d;
    let key = '';
    for (const r of readers) key += `${r(view) ?? '∅'}|`;
    return key;
  };
}

/** The deal's segment key (compile with segmentKeyFn for many deals). */
export const segmentKey = (d: Deal, segmentBy: readonly string[]): string => segmentKeyFn(segmentBy)(d);
