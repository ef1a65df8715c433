import { z } from 'zod';
import { AppError, formatIssues } from '../errors.ts';

/** When an action is due: now, within the week, or as a standing habit. */
export const Priority = z.enum(['immediate', 'this_week', 'ongoing']);
export type Priority = z.infer<typeof Priority>;

const Category = z.enum(['Low', 'Medium', 'High', 'Critical']);

/** Facts about a deal a rule may test (computed as of the scoring date). */
export const DEAL_FACTS = [
  'ageDays',
  'daysSinceActivity',
  'daysInStage',
  'daysToClose',
  'closeDatePushes',
  'contactsCount',
  'amount',
  'crmProbability',
  'leadSource',
  'dealType',
  'product',
  'stage',
  'industry',
  'region',
  'owner',
] as const;
export type DealFact = (typeof DEAL_FACTS)[number];

const Test = z
  .object({
    in: z
      .array(z.union([z.string(), z.number()]))
      .min(1)
      .optional(),
    gte: z.number().optional(),
    lte: z.number().optional(),
    exists: z.boolean().optional(),
  })
  .strict()
  .refine((t) => Object.keys(t).length > 0, { message: 'needs one of in, gte, lte, exists' });

const DriverTest = z
  .object({
    /** Driver group ids: a feature (`age_ratio`, `leadSource`, `extras.x`) also matches crosses that include it. */
    feature: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    direction: z.enum(['raises_risk', 'lowers_risk']).default('raises_risk'),
  })
  .strict();

const When = z
  .object({
    category: z.array(Category).min(1).optional(),
    minScore: z.number().min(0).max(100).optional(),
    maxScore: z.number().min(0).max(100).optional(),
    /** One of the deal's top drivers matches. */
    driver: DriverTest.optional(),
    deal: z.partialRecord(z.enum(DEAL_FACTS), Test).optional(),
  })
  .strict()
  .refine((w) => Object.keys(w).length > 0, { message: 'needs at least one condition' });

export const PlaybookRule = z
  .object({
    id: z.string().regex(/^[a-z0-9_]+$/, 'use lowercase letters, digits and _'),
    /** The action recommended (several rules may recommend the same action; it is listed once). */
    action: z.string().regex(/^[a-z0-9_]+$/, 'use lowercase letters, digits and _'),
    title: z.string().min(1),
    priority: Priority,
    /** Placeholders: {score} {category} {winProbability} {driver} {dealName} {owner}. */
    rationale: z.string().min(1),
    when: When,
  })
  .strict();
export type PlaybookRule = z.infer<typeof PlaybookRule>;

export const Playbook = z
  .object({
    version: z.literal(1),
    rules: z.array(PlaybookRule),
  })
  .strict()
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.rules.forEach((r, i) => {
      if (seen.has(r.id)) ctx.addIssue({ code: 'custom', path: ['rules', i, 'id'], message: `duplicate rule id "${r.id}"` });
      seen.add(r.id);
    });
  });
export type Playbook = z.infer<typeof Playbook>;
export type PlaybookInput = z.input<typeof Playbook>;

/**
 * Validates a playbook document (the shipped config/playbook.yaml or a tenant's override). The
 * error names `where` and every offending key path, e.g. `rules.2.priority`.
 */
export function parsePlaybook(doc: unknown, where = 'playbook'): Playbook {
  const r = Playbook.safeParse(doc);
  if (!r.success) {
    throw new AppError('config_invalid', `${where}: ${formatIssues(r.error.issues)}`, {
      path: where,
      issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return r.data;
}
