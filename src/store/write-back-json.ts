import { z } from 'zod';
import type { DealUpdate, RiskFields, TaskRequest } from '../../connectors/types.ts';
import { storedDate } from './stored-json.ts';

/**
 * What the sync keeps to write back, as stored: the risk fields and follow-up tasks of a deal
 * (`deal_sync_state.risk`), and each write waiting in the outbox (`writebacks.payload`). Dates are
 * ISO strings in the database and Dates here.
 */
export const StoredRiskFields: z.ZodType<RiskFields, unknown> = z.object({
  score: z.number(),
  category: z.enum(['Low', 'Medium', 'High', 'Critical']),
  winProbability: z.number(),
  drivers: z.string(),
  action: z.string(),
  scoredAt: storedDate,
  modelStatus: z.enum(['ok', 'experimental', 'no_signal', 'low_confidence', 'prior_only']),
});

export const StoredTaskRequest: z.ZodType<TaskRequest, unknown> = z.object({
  key: z.string(),
  dealExternalId: z.string(),
  ownerId: z.string().nullable(),
  subject: z.string(),
  description: z.string(),
  priority: z.enum(['high', 'normal', 'low']),
  dueDate: storedDate,
});

/** A `fields` row of the outbox: one deal's risk fields. */
export const StoredDealUpdate: z.ZodType<DealUpdate, unknown> = z.object({ externalId: z.string(), fields: StoredRiskFields });

/** What the sync state keeps for a deal's write-back (`deal_sync_state.risk`). */
export interface RiskPlan {
  fields: RiskFields;
  tasks: TaskRequest[];
  /** For alerts and digests: the deal's name, owner, first action and drivers. */
  summary: {
    name: string | null;
    ownerId: string | null;
    ownerName: string | null;
    amount: number | null;
    firstAction: string | null;
    drivers: string[];
    /** The deal's page in the CRM (plans stored before it was kept have none). */
    url?: string | null;
  };
}

export const StoredRiskPlan: z.ZodType<RiskPlan, unknown> = z.object({
  fields: StoredRiskFields,
  tasks: z.array(StoredTaskRequest),
  summary: z.object({
    name: z.string().nullable(),
    ownerId: z.string().nullable(),
    ownerName: z.string().nullable(),
    amount: z.number().nullable(),
    firstAction: z.string().nullable(),
    drivers: z.array(z.string()),
    url: z.string().nullable().optional(),
  }),
});
