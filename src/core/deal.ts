import { z } from 'zod';

/** The CRMs (and files) a deal can come from. */
export const Source = z.enum(['salesforce', 'hubspot', 'csv']);
export type Source = z.infer<typeof Source>;

/** Normalized stage status: every connector maps its stages onto these three. */
export const StageStatus = z.enum(['open', 'won', 'lost']);
export type StageStatus = z.infer<typeof StageStatus>;

export const DealType = z.enum(['new', 'renewal', 'expansion']);
export type DealType = z.infer<typeof DealType>;

/**
 * Plausible values. A value outside these bounds is a data error (a sign typo, a blank filled
 * with 9999-12-31 or 0), and a deal carrying one is rejected naming the field rather than scored
 * with confidence.
 *
 * Amounts: no deal is worth 10^15 in any currency (10^15 IDR is about 60 billion USD).
 */
export const MAX_AMOUNT = 1e15;
/** Counts of activities, contacts, close-date pushes: a billion or more is a data error. */
export const MAX_COUNT = 1e9;
/** Dates: from the Unix epoch to the end of 2099 (a fixed window: the core reads no clock). */
export const EARLIEST_DATE = new Date('1970-01-01T00:00:00.000Z');
export const LATEST_DATE = new Date('2099-12-31T23:59:59.999Z');
/**
 * How far a close may precede the creation: a CRM keeps the close as a date (midnight, in the
 * rep's time zone) and the creation as a UTC timestamp, so a deal closed the day it was created
 * can read up to a day and a half "earlier". Beyond two days the order is a data error.
 */
export const CLOSE_BEFORE_CREATE_TOLERANCE_MS = 2 * 86_400_000;

const shown = (v: unknown): string => (v instanceof Date ? (Number.isNaN(v.getTime()) ? 'an invalid date' : v.toISOString()) : String(v));
const day = (d: Date): string => d.toISOString().slice(0, 10);

const nullableString = z.string().nullable().default(null);
// Zod 4 numbers refuse NaN and ±Infinity: the message says which value.
const finite = z.number({ error: (i) => `must be a finite number (got ${shown(i.input)})` });
const nonNegative = (max: number, what: string) =>
  finite
    .min(0, { error: (i) => `must not be negative (got ${shown(i.input)})` })
    .max(max, { error: (i) => `${shown(i.input)} is implausible: ${what} above ${max.toExponential(0)} are taken for a data error` });
const nullableNumber = finite.nullable().default(null);
const nullableCount = nonNegative(MAX_COUNT, 'counts').nullable().default(null);
const boundedDate = z
  .date()
  .min(EARLIEST_DATE, { error: (i) => `${shown(i.input)} is before ${day(EARLIEST_DATE)}` })
  .max(LATEST_DATE, { error: (i) => `${shown(i.input)} is after ${day(LATEST_DATE)}` });
const nullableDate = boundedDate.nullable().default(null);

/** One entry of a deal's stage history (when the source provides it). */
export const StageChange = z.object({
  stage: z.string(),
  status: StageStatus,
  order: z.number().nullable().default(null),
  enteredAt: boundedDate,
});
export type StageChange = z.infer<typeof StageChange>;

/** A custom mapped value kept on the deal as-is. */
export const ExtraValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type ExtraValue = z.infer<typeof ExtraValue>;

/**
 * The canonical deal: one shape every connector maps into, and the only shape the
 * scoring core sees. Dates are Dates, money is a number, unknowns are null.
 */
export const Deal = z
  .object({
    tenantId: z.string().min(1),
    source: Source,
    externalId: z.string().min(1),
    name: nullableString,
    /** In `currency`, 0 ≤ amount ≤ MAX_AMOUNT. */
    amount: nonNegative(MAX_AMOUNT, 'amounts').nullable().default(null),
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
    owner: z.object({ id: nullableString, name: nullableString }).default({ id: null, name: null }),
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
    activityCount: nullableCount,
    contactsCount: nullableCount,
    stageEnteredAt: nullableDate,
    closeDatePushes: nullableCount,
    nextStep: nullableString,
    /** When the source last modified the record (cursor and echo detection). */
    modifiedAt: nullableDate,
    stageHistory: z.array(StageChange).default([]),
    extras: z.record(z.string(), ExtraValue).default({}),
  })
  .superRefine((d, ctx) => {
    if (d.createdAt && d.closedAt && d.closedAt.getTime() < d.createdAt.getTime() - CLOSE_BEFORE_CREATE_TOLERANCE_MS) {
      ctx.addIssue({
        code: 'custom',
        path: ['closedAt'],
        message: `${day(d.closedAt)} is before the deal was created (${day(d.createdAt)})`,
      });
    }
  });
export type Deal = z.infer<typeof Deal>;
/** What a caller must supply to build a Deal (defaults fill the rest). */
export type DealInput = z.input<typeof Deal>;

/** Deal status shortcuts. */
export const isClosed = (d: Pick<Deal, 'stage'>): boolean => d.stage.status !== 'open';
export const isWon = (d: Pick<Deal, 'stage'>): boolean => d.stage.status === 'won';
