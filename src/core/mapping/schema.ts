import { z } from 'zod';
import { AppError, formatIssues } from '../errors.ts';

/** How a raw value is parsed before it lands in a canonical field. */
export const ValueType = z.enum([
  'string',
  'number',
  'integer',
  /** 0..100 in the source, 0..1 in the model (Salesforce Probability). */
  'percent',
  /** 0..1 in the source and the model (HubSpot hs_deal_stage_probability). */
  'fraction',
  'date',
  'datetime',
  'boolean',
  /** An array of {stage, status, order?, enteredAt} produced by a connector. */
  'stage_history',
]);
export type ValueType = z.infer<typeof ValueType>;

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const FieldSpec = z
  .object({
    /** Source path; dots walk nested objects (`Account.Industry`). A list means: first non-empty. */
    from: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    /** Builds the raw value from several paths: `"{IsClosed}/{IsWon}"`. */
    template: z.string().min(1).optional(),
    type: ValueType.optional(),
    /** Date formats tried in order, e.g. `yyyy-MM-dd`, `MM/dd/yyyy`; ISO and epoch ms are always accepted. */
    formats: z.array(z.string().min(1)).optional(),
    /** Decimal separator for numbers; the other of `.`/`,` is taken as a thousands separator. */
    decimal: z.enum(['.', ',']).default('.'),
    /** Raw value → canonical value, matched case-insensitively after trimming. */
    values: z.record(z.string(), Scalar).optional(),
    /** Used for raw values missing from `values`; without it such a value is an error. */
    otherwise: Scalar.optional(),
    /** Used when the source value is missing or empty. */
    default: Scalar.optional(),
    /** A missing value is an error for this record (after `default`). */
    required: z.boolean().optional(),
  })
  .strict()
  .refine((f) => f.from !== undefined || f.template !== undefined || f.default !== undefined, {
    message: 'needs one of from, template or default',
  });
export type FieldSpec = z.infer<typeof FieldSpec>;

/** Canonical targets a mapping may fill, with the type each expects by default. */
export const CANONICAL_FIELDS = {
  name: 'string',
  amount: 'number',
  currency: 'string',
  'stage.label': 'string',
  'stage.status': 'string',
  'stage.order': 'number',
  pipeline: 'string',
  createdAt: 'datetime',
  expectedCloseDate: 'date',
  closedAt: 'datetime',
  'owner.id': 'string',
  'owner.name': 'string',
  'account.id': 'string',
  'account.name': 'string',
  'account.industry': 'string',
  'account.region': 'string',
  'account.country': 'string',
  'account.size': 'string',
  product: 'string',
  leadSource: 'string',
  dealType: 'string',
  forecastCategory: 'string',
  crmProbability: 'fraction',
  lastActivityAt: 'datetime',
  activityCount: 'number',
  contactsCount: 'number',
  stageEnteredAt: 'datetime',
  closeDatePushes: 'number',
  nextStep: 'string',
  modifiedAt: 'datetime',
  stageHistory: 'stage_history',
} as const satisfies Record<string, ValueType>;
export type CanonicalField = keyof typeof CANONICAL_FIELDS;

const isCanonicalKey = (k: string): boolean => k in CANONICAL_FIELDS || /^extras\.[A-Za-z0-9_]+$/.test(k);

/** Where risk results go in the CRM: canonical risk key → CRM field/property name. */
export const WriteBack = z
  .object({
    object: z.string().min(1),
    /** Property group (HubSpot) or permission set (Salesforce) the setup step creates. */
    group: z.string().min(1).optional(),
    fields: z
      .object({
        score: z.string().min(1),
        category: z.string().min(1),
        winProbability: z.string().min(1),
        drivers: z.string().min(1),
        action: z.string().min(1),
        scoredAt: z.string().min(1),
        modelStatus: z.string().min(1),
      })
      .strict(),
    tasks: z
      .object({
        enabled: z.boolean().default(true),
        /** Field on the task that carries our idempotency key (e.g. Risk_Task_Key__c). */
        keyField: z.string().min(1).optional(),
      })
      .strict()
      .default({ enabled: true }),
  })
  .strict();
export type WriteBack = z.infer<typeof WriteBack>;

export const Mapping = z
  .object({
    version: z.literal(1).default(1),
    source: z.enum(['salesforce', 'hubspot', 'csv']),
    /** Source object (Opportunity, deals) or a free label for files. */
    object: z.string().min(1),
    description: z.string().optional(),
    /** The record id. For CSV files without one, `$row` uses the row number. */
    id: z.string().min(1),
    fields: z.record(z.string(), FieldSpec).superRefine((fields, ctx) => {
      for (const key of Object.keys(fields)) {
        if (!isCanonicalKey(key)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown canonical field; expected one of ${Object.keys(CANONICAL_FIELDS).join(', ')} or extras.<name>`,
          });
        }
      }
      if (!fields['stage.status']) {
        ctx.addIssue({ code: 'custom', path: ['stage.status'], message: 'is required: how open/won/lost is known' });
      }
    }),
    writeBack: WriteBack.optional(),
  })
  .strict();
export type Mapping = z.infer<typeof Mapping>;
export type MappingInput = z.input<typeof Mapping>;

/**
 * Validates an already-parsed mapping document. `where` names the file or the tenant override
 * so the error says exactly which document and key path is wrong.
 */
export function parseMapping(doc: unknown, where: string): Mapping {
  const r = Mapping.safeParse(doc);
  if (!r.success) {
    throw new AppError('mapping_invalid', `${where}: ${formatIssues(r.error.issues)}`, {
      path: where,
      issues: r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return r.data;
}

/** Every source path the mapping reads, for building the CRM query. */
export function sourcePaths(m: Mapping): string[] {
  const out = new Set<string>([m.id]);
  for (const spec of Object.values(m.fields)) {
    if (spec.from) for (const p of Array.isArray(spec.from) ? spec.from : [spec.from]) out.add(p);
    if (spec.template) for (const [, p] of spec.template.matchAll(/\{([^}]+)\}/g)) out.add(p);
  }
  out.delete('$row');
  return [...out].filter((p) => !p.startsWith('_derived'));
}
