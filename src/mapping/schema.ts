import { z } from 'zod';
import { AppError, formatIssues } from '../core/errors.ts';
import { formatProblem, timezoneProblem } from './dates.ts';

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

/** An IANA time zone name, checked against the zones Node's Intl knows. */
const Timezone = z
  .string()
  .min(1)
  .superRefine((zone, ctx) => {
    const problem = timezoneProblem(zone);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .meta({
    description:
      'IANA time zone (Europe/Paris, America/New_York) for values with a time of day and no offset. UTC when absent. Dates without a time of day stay on their calendar day (00:00 UTC).',
  });

/** A date format: luxon parse tokens, or `excel` / `excel1904` for spreadsheet serial numbers. */
const DateFormat = z
  .string()
  .min(1)
  .superRefine((format, ctx) => {
    const problem = formatProblem(format);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const FieldSpec = z
  .object({
    from: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .meta({
        description:
          'Source column or path. Dots walk nested objects (Account.Industry) or a lookup (accounts.Industry); an exact column name with dots wins. A list means: the first non-empty. $row is the CSV line number.',
      }),
    template: z
      .string()
      .min(1)
      .optional()
      .meta({ description: 'Builds the raw value from several paths: "{IsClosed}/{IsWon}". A missing path reads as empty text.' }),
    type: ValueType.optional().meta({ description: 'How the raw value is read; each canonical field has a default (docs/mappings.md).' }),
    formats: z.array(DateFormat).optional().meta({
      description:
        "Date formats tried in order after ISO 8601 and epoch milliseconds, in luxon tokens: d-MMM-yy, M/d/yyyy, dd.MM.yyyy, yyyy-MM-dd HH:mm. excel (or excel1904) reads spreadsheet serial numbers. Quote literal letters: 'T'.",
    }),
    timezone: Timezone.optional(),
    decimal: z
      .enum(['.', ','])
      .default('.')
      .meta({ description: 'Decimal separator for numbers; the other of . and , is a thousands separator.' }),
    values: z.record(z.string(), Scalar).optional().meta({
      description:
        'Raw value → canonical value, matched after trimming and ignoring case. A raw value not listed is an error unless `otherwise` is set.',
    }),
    otherwise: Scalar.optional().meta({ description: 'Used for raw values missing from `values` (null: leave the field empty).' }),
    default: Scalar.optional().meta({ description: 'Used when the source value is missing or empty.' }),
    required: z
      .boolean()
      .optional()
      .meta({ description: 'A record whose value is still empty after `default` is rejected, naming this field.' }),
    label: z.string().min(1).optional().meta({
      description: 'extras.<name> only: how the feature is named to people ("Vice president"); without it the name is made from <name>.',
    }),
  })
  .strict()
  .refine((f) => f.from !== undefined || f.template !== undefined || f.default !== undefined, {
    message: 'needs one of from, template or default',
  })
  .meta({ id: 'FieldSpec', description: 'Where a canonical field comes from and how its raw value is read.' });
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

const EXTRA_KEY = /^extras\.[A-Za-z0-9_]+$/;
const isCanonicalKey = (k: string): boolean => k in CANONICAL_FIELDS || EXTRA_KEY.test(k);

/** The fields section: canonical field (or extras.<name>) → where it comes from. */
export const Fields = z.record(z.string(), FieldSpec).superRefine((fields, ctx) => {
  for (const [key, spec] of Object.entries(fields)) {
    if (!isCanonicalKey(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `unknown canonical field; expected one of ${Object.keys(CANONICAL_FIELDS).join(', ')} or extras.<name>`,
      });
    } else if (spec.label !== undefined && !key.startsWith('extras.')) {
      ctx.addIssue({
        code: 'custom',
        path: [key, 'label'],
        message: 'only extras.<name> fields take a label: canonical fields have fixed names',
      });
    }
  }
  if (!fields['stage.status']) {
    ctx.addIssue({ code: 'custom', path: ['stage.status'], message: 'is required: how open/won/lost is known' });
  }
});

/** Lookup names are plain identifiers so `from: accounts.Industry` reads unambiguously. */
const LOOKUP_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A related CSV file joined to each row: `on` in the row equals `key` in the file. */
export const Lookup = z
  .object({
    file: z
      .string()
      .min(1)
      .meta({ description: 'CSV file with the related rows. A relative path is read from the folder of the file being imported.' }),
    key: z.string().min(1).meta({ description: 'Column of the lookup file that identifies a row (e.g. Account ID).' }),
    on: z.string().min(1).meta({
      description: 'Path in the main row whose value is looked up (e.g. Account); may read an earlier lookup (accounts.Owner ID).',
    }),
    required: z.boolean().default(false).meta({
      description:
        'true: a row whose key is empty or matches no lookup row is rejected. false: its lookup values are empty, and the import counts such rows.',
    }),
  })
  .strict()
  .meta({ id: 'Lookup', description: 'A related CSV file joined to each row; its columns are read as <lookup name>.<column>.' });
export type Lookup = z.infer<typeof Lookup>;

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
    version: z.literal(1).default(1).meta({ description: 'Version of the mapping language: 1.' }),
    source: z
      .enum(['salesforce', 'hubspot', 'csv'])
      .meta({ description: 'Where records come from: a CRM connector, or CSV files (dealrisk import).' }),
    object: z.string().min(1).meta({ description: 'Source object (Opportunity, deals) or a free label for files.' }),
    description: z.string().optional().meta({ description: 'Free text for people reading the mapping.' }),
    id: z.string().min(1).meta({ description: 'The record id path. For CSV files without one, $row uses the line number.' }),
    timezone: Timezone.optional().meta({
      description: 'Default time zone of every date field (a field may set its own). UTC when absent.',
    }),
    lookups: z
      .record(z.string().regex(LOOKUP_NAME, 'use letters, digits and _, starting with a letter or _'), Lookup)
      .optional()
      .meta({ description: 'CSV sources only: related files joined to each row, applied in the order listed.' }),
    fields: Fields,
    writeBack: WriteBack.optional().meta({ description: 'CRM fields the risk results are written into (CRM sources only).' }),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (!m.lookups) return;
    if (m.source !== 'csv') ctx.addIssue({ code: 'custom', path: ['lookups'], message: 'only csv sources read lookup files' });
    const names = Object.keys(m.lookups);
    names.forEach((name, i) => {
      const later = names.slice(i).find((other) => m.lookups![name]!.on.startsWith(`${other}.`));
      if (later) {
        ctx.addIssue({
          code: 'custom',
          path: ['lookups', name, 'on'],
          message: `reads lookup "${later}", which is not joined yet: list it before "${name}"`,
        });
      }
    });
  });
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

/** The names a mapping gives its extras, by feature id: `{ 'extras.vp': 'Vice president' }`. */
export function featureLabels(m: Mapping): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(m.fields)) if (spec.label) out[key] = spec.label;
  return out;
}
