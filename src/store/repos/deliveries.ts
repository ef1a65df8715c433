import type { Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import type { Db } from '../db.ts';
import { claimDue, dueAt, type FailedOutcome, markFailed, markSent, type QueueStatus, type RetryPolicy } from '../queue.ts';
import type { DeliveriesTable } from '../schema.ts';
import { parseStored } from '../stored-json.ts';

export type DeliveryChannel = 'slack' | 'email';

export interface Delivery {
  id: number;
  tenantId: string;
  kind: string;
  channel: DeliveryChannel;
  key: string;
  /** The stored JSON, unparsed: `deliveryMessage` reads it. */
  payload: Record<string, unknown>;
  status: QueueStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: Date;
  sentAt: Date | null;
}

const toDelivery = (r: Selectable<DeliveriesTable>): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  kind: r.kind,
  channel: r.channel as DeliveryChannel,
  key: r.key,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  lastError: r.last_error,
  nextAttemptAt: r.next_attempt_at,
  sentAt: r.sent_at,
});

// What deliveries.payload holds, as the alerts step and the digest queue it. Keys a later version
// adds pass through (`loose`): the message renderer, not the store, decides what they mean.
const text = z.string().nullable();
const num = z.number().nullable();

/** An alert (src/sync/steps/alerts.ts): a deal that entered the alert threshold. */
const StoredAlert = z
  .object({
    externalId: z.string(),
    name: z.string(),
    score: z.number(),
    category: z.string(),
    drivers: z.array(z.string()),
    firstAction: text,
    ownerName: text,
    amount: num,
    currency: text.optional(),
    converted: num.optional(),
    reporting: text.optional(),
    url: text,
  })
  .loose();

const figures = z.object({ deals: z.number(), amount: z.number(), riskAdjusted: z.number() }).loose();

/** A digest (src/sync/digest.ts), for an owner or the admins, with its email recipients. */
const StoredDigest = z
  .object({
    digest: z
      .object({
        tenantId: z.string(),
        generatedAt: z.string(),
        ownerId: text,
        minScore: z.number(),
        currency: text.default(null),
        deals: z.array(
          z
            .object({
              source: z.string(),
              externalId: z.string(),
              name: text,
              ownerId: text,
              ownerName: text,
              amount: num,
              currency: text.default(null),
              converted: num.default(null),
              score: z.number(),
              category: z.string(),
              modelStatus: z.string(),
              drivers: z.array(z.string()),
              firstAction: text,
              url: text,
            })
            .loose(),
        ),
        forecast: z
          .object({
            quarter: z.string(),
            currency: text,
            commit: figures,
            bestCase: figures,
            reps: z.array(
              z
                .object({
                  ownerId: text,
                  ownerName: text,
                  commitAmount: z.number(),
                  commitRiskAdjusted: z.number(),
                  commitAtRisk: z.number(),
                  bestCaseAtRisk: z.number(),
                  pipelineLow: z.number(),
                })
                .loose(),
            ),
            commitAtRisk: z.array(
              z
                .object({
                  externalId: z.string(),
                  name: text,
                  ownerName: text,
                  amount: num,
                  currency: text,
                  converted: num,
                  category: z.string(),
                  winProbability: z.number(),
                })
                .loose(),
            ),
          })
          .loose()
          .nullable()
          .optional(),
      })
      .loose(),
    audience: z.object({ kind: z.enum(['owner', 'admin']), name: text }),
    /** Email recipients (Slack digests have none). */
    to: z.array(z.string()).optional(),
  })
  .loose();

export type DeliveryMessage = { kind: 'alert'; alert: z.output<typeof StoredAlert> } | ({ kind: 'digest' } & z.output<typeof StoredDigest>);

/**
 * What a delivery says, parsed: an alert or a digest. A row that is not what was queued fails
 * naming `deliveries`, its id and the field; the sender records it dead (no retry cures it).
 */
export function deliveryMessage(d: Pick<Delivery, 'id' | 'kind' | 'payload'>): DeliveryMessage {
  const at = { table: 'deliveries', row: String(d.id), column: 'payload' };
  if (d.kind === 'alert') return { kind: 'alert', alert: parseStored(StoredAlert, d.payload, at) };
  if (d.kind === 'digest') return { kind: 'digest', ...parseStored(StoredDigest, d.payload, at) };
  throw new AppError('internal', `deliveries row ${d.id} is of an unknown kind: ${JSON.stringify(d.kind)}`, {
    table: 'deliveries',
    recordId: String(d.id),
    path: 'kind',
  });
}

/** Slack and email notifications: queued with a key (sent at most once), retried, recorded. */
export function deliveriesRepo(db: Db) {
  return {
    async enqueue(
      tenantId: string,
      d: { kind: string; channel: DeliveryChannel; key: string; payload: Record<string, unknown>; notBefore: Date },
      now: Date,
    ): Promise<boolean> {
      const r = await db
        .insertInto('deliveries')
        .values({
          tenant_id: tenantId,
          kind: d.kind,
          channel: d.channel,
          key: d.key,
          payload: JSON.stringify(d.payload),
          status: 'pending',
          attempts: 0,
          next_attempt_at: d.notBefore,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    /**
     * Claims due deliveries for one sender (src/store/queue.ts): two workers never send the same
     * message, and a sender that dies leaves them to be retried once the lease passes.
     */
    async claimDue(now: Date, limit: number, leaseMs: number, tenantId?: string): Promise<Delivery[]> {
      return (await claimDue(db, 'deliveries', { now, limit, leaseMs, ...(tenantId ? { tenantId } : {}) })).map(toDelivery);
    },
    /** Due deliveries across tenants, oldest first (read only). */
    async due(now: Date, limit: number, tenantId?: string): Promise<Delivery[]> {
      let q = db.selectFrom('deliveries').selectAll().where(dueAt(now));
      if (tenantId) q = q.where('tenant_id', '=', tenantId);
      return (await q.orderBy('id').limit(limit).execute()).map(toDelivery);
    },
    async markSent(tenantId: string, id: number, now: Date): Promise<void> {
      await markSent(db, 'deliveries', tenantId, [{ id }], now);
    },
    /** Records a failed attempt: failed with its backoff, or dead when not retryable or out of attempts. */
    async markFailed(
      tenantId: string,
      id: number,
      error: string,
      now: Date,
      o: { policy: RetryPolicy; retryable: boolean },
    ): Promise<({ attempts: number } & FailedOutcome) | null> {
      const [out] = await markFailed(db, 'deliveries', tenantId, [{ id, error, retryable: o.retryable }], now, o.policy);
      return out ?? null;
    },
    async list(tenantId: string, q: { kind?: string; limit?: number } = {}): Promise<Delivery[]> {
      let query = db.selectFrom('deliveries').selectAll().where('tenant_id', '=', tenantId);
      if (q.kind) query = query.where('kind', '=', q.kind);
      return (
        await query
          .orderBy('id', 'desc')
          .limit(q.limit ?? 100)
          .execute()
      ).map(toDelivery);
    },
    async purgeBefore(tenantId: string, before: Date): Promise<number> {
      const r = await db
        .deleteFrom('deliveries')
        .where('tenant_id', '=', tenantId)
        .where('status', 'in', ['sent', 'dead'])
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type DeliveriesRepo = ReturnType<typeof deliveriesRepo>;
