import { z } from 'zod';
import { AppError, formatIssues } from '../errors.ts';

/** Current layout of a serialized model; bump when the JSON shape changes. */
export const MODEL_SCHEMA_VERSION = 1;

/**
 * How the model scores: a fitted logistic regression, shrunken segment priors (too few closed
 * deals), or no history at all (CRM stage probability when mapped, else a neutral prior).
 */
export const ModelKind = z.enum(['logistic', 'segment_prior', 'prior']);
export type ModelKind = z.infer<typeof ModelKind>;

/** Quality status carried by every score. `untested` until a backtest sets it. */
export const ModelStatus = z.enum(['ok', 'experimental', 'no_signal', 'low_confidence', 'prior_only', 'untested']);
export type ModelStatus = z.infer<typeof ModelStatus>;

export const Confidence = z.enum(['high', 'medium', 'low']);
export type Confidence = z.infer<typeof Confidence>;

const BaseFeature = z.object({
  id: z.string(),
  label: z.string(),
  kind: z.enum(['category', 'number']),
  timing: z.enum(['static', 'dynamic']),
  /** Categories: level names; code = index + 2 (0 missing, 1 other). */
  levels: z.array(z.string()).optional(),
  /** Categories: what a person reads for each level (owners: their names, not CRM user ids). */
  names: z.array(z.string()).optional(),
  /** Categories: how many rarer values share code 1, "other" (beyond `maxLevels`). */
  pooled: z.number().int().min(0).optional(),
  /** Numbers: bin cuts; code = 1 + bin (0 missing). */
  cuts: z.array(z.number()).optional(),
  nCodes: z.number().int().min(1),
});
export type BaseFeature = z.infer<typeof BaseFeature>;

const Column = z.object({
  id: z.string(),
  /** Driver group the column's contribution is reported under. */
  group: z.string(),
  kind: z.enum(['encoded', 'linear']),
  /** Indexes into `features` (one for a main effect, two for a cross). */
  features: z.array(z.number().int().min(0)).min(1).max(2),
  /** Encoded columns: value per code (crosses: code = codeA × nCodesB + codeB). */
  table: z.array(z.number()).optional(),
  /** Linear columns: (log1p(x) − center) / scale. */
  center: z.number().optional(),
  scale: z.number().optional(),
  weight: z.number(),
  /** The tenant's average deal's value of this column: contributions are measured from it. */
  mean: z.number(),
});
export type ModelColumn = z.infer<typeof Column>;

export const RiskModel = z.object({
  format: z.literal('dealrisk.model'),
  schemaVersion: z.literal(MODEL_SCHEMA_VERSION),
  kind: ModelKind,
  tenantId: z.string(),
  version: z.number().int().min(0),
  trainedAt: z.string(),
  status: ModelStatus,
  confidence: Confidence,
  /** Target is LOSS: the model's log-odds are log(P(lost) / P(won)). */
  prior: z.object({ lossRate: z.number(), won: z.number(), lost: z.number() }),
  features: z.array(BaseFeature),
  columns: z.array(Column),
  intercept: z.number(),
  /** Platt scaling of the raw log-odds: calibrated = slope × raw + offset. */
  calibration: z.object({
    slope: z.number(),
    offset: z.number(),
    method: z.enum(['platt', 'none']),
    /**
     * Which loss rate the offset matches: every closed deal's (`overall`), the recent held-out
     * deals' (`recent`, drift), or `base_rate`: slope 0, every deal gets the overall rate (the
     * backtest found the fitted model worse than it). Absent on models stored before it existed.
     */
    centring: z.enum(['overall', 'recent', 'base_rate']).optional(),
    /** The offset centred on every closed deal, and on the recent ones (null: too few to calibrate). */
    offsets: z.object({ overall: z.number(), recent: z.number().nullable() }).optional(),
  }),
  segmentBy: z.array(z.string()),
  /** Median days to win, overall and per segment key (age comparisons, RAPV aging). */
  cycles: z.object({ overall: z.number().nullable(), bySegment: z.record(z.string(), z.number()) }),
  dropped: z.array(z.object({ feature: z.string(), label: z.string(), auc: z.number() })),
  training: z.object({
    deals: z.number(),
    rows: z.number(),
    rowSource: z.enum(['snapshots', 'moments', 'static', 'mixed', 'none']),
    iterations: z.number(),
    converged: z.boolean(),
  }),
  /** Plain statements about how the model was built ("no closed deals yet: ..."). */
  notes: z.array(z.string()),
});
export type RiskModel = z.infer<typeof RiskModel>;

/** The model as stored (plain JSON). */
export const serializeModel = (m: RiskModel): Record<string, unknown> => JSON.parse(JSON.stringify(m)) as Record<string, unknown>;

/** Validates stored JSON back into a model; the error names the key path that is wrong. */
export function deserializeModel(json: unknown, where = 'model'): RiskModel {
  const r = RiskModel.safeParse(json);
  if (!r.success) throw new AppError('model_unavailable', `${where}: ${formatIssues(r.error.issues)}`, { path: where });
  return r.data;
}
