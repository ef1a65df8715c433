import { z } from 'zod';

/** The CRMs (and files) a deal can come from. */
export const Source = z.enum(['salesforce', 'hubspot', 'csv']);
export type Source = z.infer<typeof Source>;

/** Normalized stage status: every connector maps its stages onto these three. */
export const StageStatus = z.enum(['open', 'won', 'lost']);
export type StageStatus = z.infer<typeof StageStatus>;

export const DealType = z.enum(['new', 'renewal', 'expansion']);
export type DealType = z.infer<typeof DealType>;

const nullableString = z.string().nullable().default(null);
const nullableNumber = z.number().finite().nullable().default(null);
const nullableDate = z.date().nullable().default(null);

/** One entry of a deal's stage history (when the source provides it). */
export const StageChange = z.object({
  stage: z.string(),
  status: StageStatus,
  order: z.number().nullable().default(null),
  enteredAt: z.date(),
});
export type StageChange = z.infer<typeof StageChange>;

/** A custom mapped value kept on the deal as-is. */
export const ExtraValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type ExtraValue = z.infer<typeof ExtraValue>;

/**
 * The canonical deal: one shape every connector maps into, and the only shape the
 * scoring core sees. Dates are Dates, money is a number, unknowns are null.
 */
export const Deal = z.object({
  tenantId: z.string().min(1),
  source: Source,
  externalId: z.string().min(1),
  name: nullableString,
  amount: nullableNumber,
  currency: nullableString,
  stage: z.object({
    /** The raw stage label as the CRM shows it. */
    label: nullableString,
    status: StageStatus,
    /** Position of the stage within its pipeline (0 = first). */
    order: nullableNumber,
  }),
  pipeline: nullableString,
  /** Null only for sources without dates (some CSV exports). */
  createdAt: nullableDate,
  expectedCloseDate: nullableDate,
  closedAt: nullableDate,
  owner: z
    .object({ id: nullableString, name: nullableString })
    .default({ id: null, name: null }),
  account: z
    .object({
      id: nullableString,
      name: nullableString,
      industry: nullableString,
      region: nullableString,
      country: nullableString,
      size: nullableString,
    })
    .default({ id: null, name: null, industry: null, region: null, country: null, size: null }),
  product: nullableString,
  leadSource: nullableString,
  dealType: DealType.nullable().default(null),
  forecastCategory: nullableString,
  /** The CRM's own win probability for the stage, 0..1. */
  crmProbability: z.number().min(0).max(1).nullable().default(null),
  lastActivityAt: nullableDate,
  activityCount: nullableNumber,
  contactsCount: nullableNumber,
  stageEnteredAt: nullableDate,
  closeDatePushes: nullableNumber,
  nextStep: nullableString,
  /** When the source last modified the record (cursor and echo detection). */
  modifiedAt: nullableDate,
  stageHistory: z.array(StageChange).default([]),
  extras: z.record(z.string(), ExtraValue).default({}),
});
export type Deal = z.infer<typeof Deal>;
/** What a caller must supply to build a Deal (defaults fill the rest). */
export type DealInput = z.input<typeof Deal>;

/** Deal status shortcuts. */
export const isClosed = (d: Pick<Deal, 'stage'>): boolean => d.stage.status !== 'open';
export const isWon = (d: Pick<Deal, 'stage'>): boolean => d.stage.status === 'won';
