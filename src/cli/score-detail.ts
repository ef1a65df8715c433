import { z } from 'zod';

const Driver = z.object({
  feature: z.string(),
  label: z.string().catch(''),
  contribution: z.number().catch(0),
  direction: z.enum(['raises_risk', 'lowers_risk']).catch('raises_risk'),
  sentence: z.string().catch(''),
});
const Action = z.object({
  action: z.string(),
  title: z.string().catch(''),
  priority: z.enum(['immediate', 'this_week', 'ongoing']).catch('ongoing'),
  rationale: z.string().catch(''),
});
const SimilarWon = z.object({
  externalId: z.string(),
  name: z.string().nullable().catch(null),
  amount: z.number().nullable().catch(null),
  cycleDays: z.number().nullable().catch(null),
});

export type DriverDetail = z.infer<typeof Driver>;
export type ActionDetail = z.infer<typeof Action>;
export type SimilarWonDetail = z.infer<typeof SimilarWon>;

export interface ScoreDetail {
  drivers: DriverDetail[];
  actions: ActionDetail[];
  similarWon: SimilarWonDetail[];
  confidence: string | null;
  modelVersion: number | null;
  note: string | null;
}

/**
 * Drivers, actions and similar won deals out of a stored score's `detail` (written by `score` and
 * the sync engine; older scores may lack parts). An entry that does not fit is left out rather
 * than failing the command.
 */
export function readScoreDetail(detail: Record<string, unknown> | null | undefined): ScoreDetail {
  const list = <T>(v: unknown, s: z.ZodType<T>): T[] =>
    Array.isArray(v)
      ? v.flatMap((x) => {
          const r = s.safeParse(x);
          return r.success ? [r.data] : [];
        })
      : [];
  return {
    drivers: list(detail?.drivers, Driver),
    actions: list(detail?.actions, Action),
    similarWon: list(detail?.similarWon, SimilarWon),
    confidence: typeof detail?.confidence === 'string' ? detail.confidence : null,
    modelVersion: typeof detail?.modelVersion === 'number' ? detail.modelVersion : null,
    note: typeof detail?.note === 'string' ? detail.note : null,
  };
}

/** "+ Lead source Partner: deals like this win 20% vs 45% overall": the sign says which way it pushes. */
export const signedSentence = (d: Pick<DriverDetail, 'direction' | 'sentence' | 'label'>): string =>
  `${d.direction === 'raises_risk' ? '+' : '-'} ${d.sentence || d.label}`;

/** "raises risk" / "lowers risk". */
export const effect = (d: Pick<DriverDetail, 'direction'>): string => (d.direction === 'raises_risk' ? 'raises risk' : 'lowers risk');
