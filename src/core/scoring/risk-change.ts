import { money, pct } from './sentences.ts';
import { DAY_MS, sigmoid } from './stats.ts';

/**
 * The risk change ledger (issue 15): what one scoring keeps to be explained later, and the exact
 * decomposition of the change between two scorings of a deal.
 */

/** What a scoring keeps (the `trace` column of `scores`): enough to explain it against another. */
export interface ScoreTrace {
  /** Version of the model that scored it. */
  v: number;
  /** Loss log-odds of the model's average deal (intercept and calibration). */
  b: number;
  /** Feature → its additive contribution to the deal's loss log-odds; the log-odds is b + Σ c. */
  c: Record<string, number>;
  /** Feature → the deal's input as the model read it then (null: missing). */
  x: Record<string, string | number | null>;
}

/** One scoring as the ledger compares it. */
export interface TracedScore {
  /** The risk score shown (0-100). */
  score: number;
  scoredAt: Date;
  trace: ScoreTrace | null;
}

/** One line of a change: a feature of the deal, or the model. */
export interface ChangePart {
  /** A feature id, or `model` for a retrain or recalibration. */
  feature: string;
  kind: 'deal' | 'model';
  /** Risk points, rounded so that the parts add up to the change shown. */
  points: number;
  /** The exact (unrounded) share of the change in risk points. */
  exact: number;
  /** The change in plain words ("close date pushed 21 days"). */
  text: string;
}

export interface RiskChange {
  from: { score: number; scoredAt: Date };
  to: { score: number; scoredAt: Date };
  /** to.score − from.score: the parts' points add up to it. */
  change: number;
  /** False when either scoring kept no trace (scored before the ledger): the change is not split. */
  explained: boolean;
  parts: ChangePart[];
  /** "Risk 34 → 61 since 26 Nov: close date pushed 21 days (+15), ..." */
  sentence: string;
}

/** Feature names as a rep reads them (the driver sentences' vocabulary); others are humanised. */
const LABELS: Record<string, string> = {
  'account.industry': 'industry',
  'account.region': 'region',
  'account.country': 'country',
  'account.size': 'company size',
  product: 'product',
  leadSource: 'lead source',
  dealType: 'deal type',
  owner: 'owner',
  pipeline: 'pipeline',
  stage: 'stage',
  forecastCategory: 'forecast category',
  amount: 'amount',
};

const labelOf = (f: string, labels: Readonly<Record<string, string>>): string =>
  labels[f]?.toLowerCase() ?? LABELS[f] ?? f.replace(/^extras\./, '').replace(/[_\-.]+/g, ' ');

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const n0 = (v: number): number => Math.round(v) || 0;
const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;

/**
 * The change of one feature between two scorings in words, from the inputs the traces kept and
 * the days between the scorings (a close date moves by its days-to-close plus the days elapsed).
 */
export function describeFeatureChange(
  feature: string,
  before: string | number | null | undefined,
  after: string | number | null | undefined,
  elapsedDays: number,
  o: { labels?: Readonly<Record<string, string>>; currency?: string | null } = {},
): string {
  const a = before ?? null;
  const b = after ?? null;
  const na = num(a);
  const nb = num(b);
  switch (feature) {
    case 'days_to_close': {
      if (nb === null) return 'no expected close date';
      if (na !== null) {
        const moved = n0(nb - na + elapsedDays);
        if (moved > 0) return `close date pushed ${plural(moved, 'day')}`;
        if (moved < 0) return `close date pulled in ${plural(-moved, 'day')}`;
      }
      return nb < 0 ? `close date passed ${plural(n0(-nb), 'day')} ago` : `expected to close in ${plural(n0(nb), 'day')}`;
    }
    case 'days_since_activity':
      if (nb === null) return 'no recorded activity';
      if (na !== null && nb < na + elapsedDays - 0.5) return `new activity (last ${plural(n0(nb), 'day')} ago)`;
      return `no activity for ${plural(n0(nb), 'day')}`;
    case 'days_in_stage':
      return nb === null ? 'time in stage unknown' : `${plural(n0(nb), 'day')} in stage`;
    case 'age_ratio':
      return `deal ${plural(n0(elapsedDays), 'day')} older`;
    case 'close_date_pushes':
      return nb !== null && na !== null && nb > na
        ? `close date pushed again (${plural(nb, 'time')} in all)`
        : `close date pushed ${plural(nb ?? 0, 'time')}`;
    case 'contacts':
      return na !== nb ? `contacts ${na ?? 0} → ${nb ?? 0}` : `${plural(nb ?? 0, 'contact')} on the deal`;
    case 'crm_probability': {
      const p = (x: number | null) => (x === null ? 'unknown' : pct(x));
      return na !== nb ? `CRM probability ${p(na)} → ${p(nb)}` : `CRM probability ${p(nb)}`;
    }
    case 'quarter_end':
      return nb === null ? 'quarter end' : `${plural(n0(nb), 'day')} to quarter end`;
    case 'amount': {
      const m = (x: number | null) => (x === null ? 'none' : money(x, o.currency ?? null));
      return na !== nb ? `amount ${m(na)} → ${m(nb)}` : `amount ${m(nb)}`;
    }
    default: {
      const l = labelOf(feature, o.labels ?? {});
      const s = (x: string | number | null) => (x === null ? 'none' : String(x));
      if (feature === 'stage' && a !== b) return `stage moved ${s(a)} → ${s(b)}`;
      return a !== b ? `${l} changed ${s(a)} → ${s(b)}` : `${l} ${s(b)}`;
    }
  }
}

/**
 * Rounds values to integers that add up to `total` (largest remainder): each part gets its floor,
 * then the parts with the largest fractional remainders get one more until the sum is `total`
 * (or one less, smallest remainders first, should the floors overshoot it). Ties go to the
 * earlier part, so the result is deterministic.
 */
export function roundToTotal(values: readonly number[], total: number): number[] {
  const out = values.map((v) => Math.floor(v));
  if (out.length === 0) return out;
  let rest = total - out.reduce((s, v) => s + v, 0);
  const order = values.map((v, i) => ({ i, r: v - Math.floor(v) })).sort((p, q) => q.r - p.r || p.i - q.i);
  for (let k = 0; rest > 0; k = (k + 1) % order.length, rest--) out[order[k]!.i]! += 1;
  for (let k = order.length - 1; rest < 0; k = (k - 1 + order.length) % order.length, rest++) out[order[k]!.i]! -= 1;
  return out;
}

const logOdds = (t: ScoreTrace): number => {
  let z = t.b;
  for (const k in t.c) z += t.c[k]!;
  return z;
};

/** Risk points per unit of log-odds between za and zb: the secant of 100·σ, its slope when they meet. */
const pointsPerLogit = (za: number, zb: number): number => {
  if (Math.abs(zb - za) > 1e-9) return (100 * (sigmoid(zb) - sigmoid(za))) / (zb - za);
  const p = sigmoid(za);
  return 100 * p * (1 - p);
};

const DAY_FMT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });

export interface ExplainOptions {
  /** Feature id → the tenant's name for it (the model's labels). */
  labels?: Readonly<Record<string, string>>;
  /** The deal's currency, for the amount. */
  currency?: string | null;
  /** Lines named in the sentence; the rest are summed as "other changes" (default 4). */
  maxLines?: number;
}

/**
 * Decomposes the change of a deal's risk between two scorings exactly.
 *
 * The log-odds are sums (b + Σ contributions), so their change splits exactly by feature. The
 * model's share is the change of the baseline plus, when the model version changed, the change of
 * every contribution whose input did not change (the new model weighs the same input
 * differently); a feature whose input changed carries its whole change, model effect included,
 * since replaying the new model on the old input would need the old deal, which is not kept.
 * Under one model version every change is the deal's.
 *
 * Risk is 100·σ(log-odds), not additive, so the change in points follows a path: old model/old
 * inputs → model change → new model/new inputs. The model line is the first segment's change in
 * points; the second segment's change is shared among the deal's features in proportion to their
 * log-odds changes (the straight path in log-odds, where every feature moves at once: exact,
 * and features that offset each other both show). Finally the parts are rounded by largest
 * remainder so that they add up to the change of the scores shown (to.score − from.score).
 */
export function explainRiskChange(from: TracedScore, to: TracedScore, o: ExplainOptions = {}): RiskChange {
  const change = to.score - from.score;
  const base = { from: { score: from.score, scoredAt: from.scoredAt }, to: { score: to.score, scoredAt: to.scoredAt }, change };
  const head = `Risk ${from.score} → ${to.score} since ${DAY_FMT.format(from.scoredAt)}`;
  const t0 = from.trace;
  const t1 = to.trace;
  if (!t0 || !t1) return { ...base, explained: false, parts: [], sentence: `${head} (not explained: scored before changes were kept)` };

  const modelChanged = t0.v !== t1.v;
  const features = [...new Set([...Object.keys(t0.c), ...Object.keys(t1.c)])].sort();
  let modelDz = t1.b - t0.b;
  const dealDz: Array<{ feature: string; dz: number }> = [];
  for (const f of features) {
    const dz = (t1.c[f] ?? 0) - (t0.c[f] ?? 0);
    const sameInput = (t0.x[f] ?? null) === (t1.x[f] ?? null);
    if (modelChanged && sameInput) modelDz += dz;
    else if (dz !== 0) dealDz.push({ feature: f, dz });
  }
  const z0 = logOdds(t0);
  const zm = z0 + modelDz;
  const z1 = logOdds(t1);
  const elapsed = (to.scoredAt.getTime() - from.scoredAt.getTime()) / DAY_MS;
  const exact: Array<Omit<ChangePart, 'points'>> = [];
  if (modelChanged || modelDz !== 0) {
    exact.push({
      feature: 'model',
      kind: 'model',
      exact: 100 * (sigmoid(zm) - sigmoid(z0)),
      text: modelChanged ? 'model retrained' : 'model recalibrated',
    });
  }
  const k = pointsPerLogit(zm, z1);
  for (const { feature, dz } of dealDz) {
    exact.push({
      feature,
      kind: 'deal',
      exact: k * dz,
      text: describeFeatureChange(feature, t0.x[feature], t1.x[feature], elapsed, o),
    });
  }
  // The traces' log-odds may differ from the stored scores' by their rounding: a deal with no
  // changed input but a different score (or none at all) still gets a line to carry the points.
  if (exact.length === 0 && change !== 0) exact.push({ feature: 'other', kind: 'deal', exact: change, text: 'other changes' });
  const points = roundToTotal(
    exact.map((p) => p.exact),
    change,
  );
  const parts = exact
    .map((p, i) => ({ ...p, points: points[i]! }))
    .sort((p, q) => Math.abs(q.points) - Math.abs(p.points) || Math.abs(q.exact) - Math.abs(p.exact));
  return { ...base, explained: true, parts, sentence: sentenceOf(head, parts, o.maxLines ?? 4) };
}

const signed = (n: number): string => (n > 0 ? `+${n}` : `${n}`);

/** "Risk 34 → 61 since 26 Nov: a (+15), b (+9), other changes (+1)": named lines add up to the change. */
function sentenceOf(head: string, parts: readonly ChangePart[], maxLines: number): string {
  const shown = parts.filter((p) => p.points !== 0);
  if (shown.length === 0) return parts.length ? `${head}: no change in points` : `${head}: nothing changed`;
  const named = shown.slice(0, maxLines);
  const rest = shown.slice(maxLines).reduce((s, p) => s + p.points, 0);
  const lines = named.map((p) => `${p.text} (${signed(p.points)})`);
  if (rest !== 0) lines.push(`other changes (${signed(rest)})`);
  return `${head}: ${lines.join(', ')}`;
}
