/**
 * The generating model: how a sandbox deal's outcome depends on what a CRM can observe.
 *
 * Every deal draws its observable drivers first (segment, source, type, amount, stakeholders,
 * the activity gap before it closed, close-date pushes, its cycle length against its segment's
 * norm), then its outcome: won ~ Bernoulli(sigmoid(logit(x) + u)), u ~ N(0, NOISE_SD) an
 * unobserved factor. Stage progress depends on the same x plus independent noise, never on the
 * outcome itself, so no observable field leaks the label: ranking by logit(x) is the best any
 * scorer can do, and its AUC on the generated deals is the ceiling (see ceilingAuc).
 */

export const INDUSTRIES = ['Technology', 'Finance', 'Healthcare', 'Manufacturing', 'Retail', 'Education', 'Government', 'Media'] as const;
export type Industry = (typeof INDUSTRIES)[number];
export const REGIONS = ['NA', 'EMEA', 'APAC', 'LATAM'] as const;
export type Region = (typeof REGIONS)[number];
export const SIZES = ['SMB', 'Mid-Market', 'Enterprise'] as const;
export type Size = (typeof SIZES)[number];
export const SOURCES = ['web', 'referral', 'partner', 'event', 'outbound', 'paid'] as const;
export type LeadSource = (typeof SOURCES)[number];
export const DEAL_TYPES = ['new', 'expansion', 'renewal'] as const;
export type DealKind = (typeof DEAL_TYPES)[number];

export const INDUSTRY_WEIGHTS = [0.22, 0.14, 0.12, 0.14, 0.12, 0.08, 0.08, 0.1];
export const REGION_WEIGHTS = [0.45, 0.3, 0.17, 0.08];
export const SIZE_WEIGHTS = [0.45, 0.35, 0.2];
export const SOURCE_WEIGHTS = [0.3, 0.12, 0.1, 0.12, 0.26, 0.1];
export const TYPE_WEIGHTS = [0.6, 0.25, 0.15];

/** Segment norms: typical deal size and sales cycle per account size band. */
export const SEGMENT_NORMS: Record<Size, { amountMedian: number; cycleDays: number; pushRate: number; contacts: number }> = {
  SMB: { amountMedian: 12_000, cycleDays: 30, pushRate: 0.45, contacts: 0.8 },
  'Mid-Market': { amountMedian: 45_000, cycleDays: 60, pushRate: 0.7, contacts: 1.6 },
  Enterprise: { amountMedian: 160_000, cycleDays: 110, pushRate: 1.0, contacts: 2.8 },
};
export const TYPE_NORMS: Record<DealKind, { amount: number; cycle: number }> = {
  new: { amount: 1, cycle: 1 },
  expansion: { amount: 0.5, cycle: 0.8 },
  renewal: { amount: 0.8, cycle: 0.6 },
};

/** Coefficients on the log-odds of winning. Documented in docs/sandbox.md. */
export const COEF = {
  intercept: 0.35,
  industry: {
    Technology: 0.25,
    Finance: 0,
    Healthcare: -0.2,
    Manufacturing: 0.1,
    Retail: -0.1,
    Education: -0.3,
    Government: -0.45,
    Media: 0.15,
  } satisfies Record<Industry, number>,
  size: { SMB: 0.15, 'Mid-Market': 0, Enterprise: -0.2 } satisfies Record<Size, number>,
  region: { NA: 0.1, EMEA: 0, APAC: -0.1, LATAM: -0.15 } satisfies Record<Region, number>,
  source: { web: 0, referral: 0.8, partner: 0.45, event: -0.1, outbound: -0.7, paid: -0.25 } satisfies Record<LeadSource, number>,
  type: { new: 0, expansion: 0.6, renewal: 1.3 } satisfies Record<DealKind, number>,
  /** Amount relative to the segment's median (bands: <0.5x, typical, >2x, >4x). */
  amountBand: { small: 0.25, typical: 0, large: -0.45, huge: -0.9 },
  /** Per unit of log1p((gap days - 7) / 7): silence in the run-up to the close. */
  staleness: -1.3,
  /** Per close-date push. */
  push: -0.55,
  /** Per unit of log(cycle / segment norm) above 1: dragging on longer than peers. */
  overAge: -1.4,
  /** Per stakeholder beyond 2 (capped at 6): multi-threaded deals win more. */
  contacts: 0.3,
  /** Per activity a month beyond 3 (clipped to ±3). */
  activityRate: 0.12,
};
/** Unobserved factors (a champion leaves, a budget freeze): invisible to every scorer. */
export const NOISE_SD = 0.45;

export type AmountBand = keyof typeof COEF.amountBand;

export function amountBand(amount: number, segmentMedian: number): AmountBand {
  const r = amount / segmentMedian;
  return r < 0.5 ? 'small' : r > 4 ? 'huge' : r > 2 ? 'large' : 'typical';
}

/** The observable drivers of one deal, measured when it closes. */
export interface DealDrivers {
  industry: Industry;
  region: Region;
  size: Size;
  source: LeadSource;
  type: DealKind;
  amount: number;
  /** Median amount of the deal's segment and type (the band is relative to it). */
  amountNorm: number;
  /** Days from the last activity to the close. */
  gapDays: number;
  pushes: number;
  cycleDays: number;
  /** The segment's normal cycle for this deal type. */
  cycleNorm: number;
  contacts: number;
  /** Completed activities per 30 days of the deal's active life. */
  activityRate: number;
}

/** Each driver's contribution to the log-odds of winning (the "why" of a generated outcome). */
export function contributions(x: DealDrivers): Record<string, number> {
  return {
    industry: COEF.industry[x.industry],
    size: COEF.size[x.size],
    region: COEF.region[x.region],
    source: COEF.source[x.source],
    type: COEF.type[x.type],
    amount: COEF.amountBand[amountBand(x.amount, x.amountNorm)],
    staleness: COEF.staleness * Math.log1p(Math.max(0, x.gapDays - 7) / 7),
    pushes: COEF.push * x.pushes,
    age: COEF.overAge * Math.max(0, Math.log(x.cycleDays / x.cycleNorm)),
    contacts: COEF.contacts * (Math.min(x.contacts, 6) - 2),
    activity: COEF.activityRate * Math.max(-3, Math.min(3, x.activityRate - 3)),
  };
}

/** log-odds of winning given the observable drivers (without the unobserved noise). */
export function winLogit(x: DealDrivers): number {
  let z = COEF.intercept;
  for (const v of Object.values(contributions(x))) z += v;
  return z;
}

export const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/**
 * P(win | x) with the unobserved noise integrated out (probit approximation of the
 * logistic-normal mean): what a perfectly calibrated scorer would say.
 */
export const winProbability = (logit: number): number => sigmoid(logit / Math.sqrt(1 + (Math.PI * NOISE_SD * NOISE_SD) / 8));

/**
 * ROC-AUC of `scores` for the positive labels (ties count half), by rank sum: O(n log n).
 * Returns null when either class is empty.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number | null {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let pos = 0;
  let rankSum = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (positive[order[k]!]) {
        pos++;
        rankSum += avgRank;
      }
    }
    i = j + 1;
  }
  const neg = n - pos;
  if (pos === 0 || neg === 0) return null;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
