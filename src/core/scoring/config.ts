import { z } from 'zod';
import { AppError, formatIssues } from '../errors.ts';

const Score = z.number().int().min(0).max(100);
/** A multiple of the odds of loss at the base rate (0.5 = half the odds, 3 = three times). */
const OddsMultiple = z.number().gt(0).max(1000);

/**
 * Tenant-adjustable scoring settings. `config/scoring.yaml` holds the shipped defaults; a tenant's
 * settings override them key by key. Every field has a default so `{}` is a valid config.
 */
export const ScoringConfig = z
  .object({
    /**
     * Risk categories. `relative` (the default): Low, Medium and High end at these multiples of
     * the odds of loss at the tenant's base rate, so the average deal is Medium whatever the base
     * rate; `fixed`: Low, Medium and High end at `low`, `medium`, `high` on the 0-100 score.
     */
    thresholds: z
      .object({
        mode: z.enum(['relative', 'fixed']).default('relative'),
        low: Score.default(25),
        medium: Score.default(50),
        high: Score.default(75),
        relative: z
          .object({ low: OddsMultiple.default(0.5), medium: OddsMultiple.default(1.5), high: OddsMultiple.default(3) })
          .strict()
          .default({ low: 0.5, medium: 1.5, high: 3 })
          .refine((t) => t.low < t.medium && t.medium < t.high, { message: 'must satisfy low < medium < high' }),
      })
      .strict()
      .default({ mode: 'relative', low: 25, medium: 50, high: 75, relative: { low: 0.5, medium: 1.5, high: 3 } })
      .refine((t) => t.low < t.medium && t.medium < t.high, { message: 'must satisfy low < medium < high' }),
    /** Below this many closed deals of either class, fall back to shrunken segment priors. */
    minClosedPerClass: z.number().int().min(1).default(30),
    /** Win rate assumed when a tenant has no closed deal and no CRM probability. */
    noHistoryWinRate: z.number().min(0.01).max(0.99).default(0.5),
    /** Share of High + Critical expected value that an intervention recovers (an assumption). */
    interventionSuccessRate: z.number().min(0).max(1).default(0.2),
    /** A deal's risk change is shown against its scoring this many days before its latest one. */
    changeSinceDays: z.number().int().min(1).max(365).default(7),
    /** A single feature whose AUC alone exceeds this on training rows is dropped as leakage. */
    leakageAuc: z.number().min(0.5).max(1).default(0.95),
    /** L2 penalty on the logistic regression weights (the intercept is not penalized). */
    l2: z.number().min(0).default(10),
    /** Pseudo-count pulling small segments toward the overall rate in target encodings. */
    smoothing: z.number().min(0).default(10),
    /** Out-of-fold folds for target encodings. */
    folds: z.number().int().min(2).max(20).default(5),
    /** Most quantile bins for the amount (loss rates move at fine amount resolution). */
    amountBins: z.number().int().min(2).max(256).default(200),
    /** Fewer amount bins on small data: about this many training rows per bin, at least 4 bins. */
    rowsPerAmountBin: z.number().int().min(1).default(300),
    /** Add a linear log-amount term next to the amount bands (off: bands alone explain better). */
    amountLinear: z.boolean().default(false),
    /** Categories beyond this many distinct values keep only the most frequent ones. */
    maxLevels: z.number().int().min(2).max(10_000).default(200),
    /** Pairwise crosses are built only when the two features have at most this many code pairs (codes are 16-bit). */
    maxCrossCells: z.number().int().min(4).max(65_536).default(4096),
    /** A cross needs about this many training rows per code pair (crosses overfit small data). */
    rowsPerCrossCell: z.number().min(0).default(20),
    /** Upper bound on pairwise crosses (the strongest first). */
    maxCrosses: z.number().int().min(0).default(60),
    /** Share of closed deals (latest by close date) held out to calibrate and to backtest. */
    holdoutFraction: z.number().gt(0).lt(1).default(0.2),
    /**
     * Most closed deals a model learns from: the latest by close date. Bounds a training run's
     * memory (about 2 KB per deal with its rows) and keeps the model on the recent sales motion.
     */
    maxTrainingDeals: z.number().int().min(100).default(100_000),
    /** Moments sampled from each closed deal's open life when snapshots are missing. */
    momentsPerDeal: z.number().int().min(1).max(12).default(4),
    /** Segment used for similar deals, RAPV and cycle medians (first mapped fields win). */
    segmentBy: z.array(z.string().min(1)).default(['account.industry', 'product']),
    backtest: z
      .object({
        bootstrap: z.number().int().min(50).default(1000),
        seed: z.number().int().default(0),
        /** AUC below this (the predecessor's gate) → experimental. */
        experimentalBelowAuc: z.number().min(0.5).max(1).default(0.6),
      })
      .strict()
      .default({ bootstrap: 1000, seed: 0, experimentalBelowAuc: 0.6 }),
    /** Withhold CRM task write-back while the model has no signal. */
    withholdTasksOnNoSignal: z.boolean().default(true),
    /** Most actions recommended per deal. */
    maxActions: z.number().int().min(0).max(10).default(3),
    /**
     * Names shown for features, by feature id (`extras.vp` → "VP involved"): `dealrisk import`
     * stores a mapping's extras labels here; a tenant may rename any feature the same way.
     */
    labels: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .strict();
export type ScoringConfig = z.infer<typeof ScoringConfig>;
export type ScoringConfigInput = z.input<typeof ScoringConfig>;

/** Validates a scoring config document; the error names `where` and each offending key path. */
export function parseScoringConfig(doc: unknown, where = 'scoring config'): ScoringConfig {
  const r = ScoringConfig.safeParse(doc ?? {});
  if (!r.success) throw new AppError('config_invalid', `${where}: ${formatIssues(r.error.issues)}`, { path: where });
  return r.data;
}

/** The shipped defaults (identical to an empty document). */
export const defaultScoringConfig = (): ScoringConfig => ScoringConfig.parse({});

export { categoryOf, type RiskCategory } from './categories.ts';

/**
 * When a tenant last changed a setting that changes its scores' categories (thresholds): a sync
 * rescores every score older than that, so the CRM never shows categories of two settings at once.
 */
export function scoringChangedAt(settings: Record<string, unknown> | undefined): Date | null {
  const v = settings?.scoringChangedAt;
  const t = typeof v === 'string' ? new Date(v) : null;
  return t && !Number.isNaN(t.getTime()) ? t : null;
}

/** The settings patch that records such a change at `at`. */
export const scoringChangedPatch = (at: Date): { scoringChangedAt: string } => ({ scoringChangedAt: at.toISOString() });
