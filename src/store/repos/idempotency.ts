import type { Db } from '../db.ts';

export interface IdempotencyRecord {
  method: string;
  path: string;
  requestHash: string;
  state: 'pending' | 'done';
  statusCode: number | null;
  response: Record<string, unknown> | null;
  createdAt: Date;
}

/** Idempotency-Key records per tenant and caller: the first request's response is replayed. */
export function idempotencyRepo(db: Db) {
  return {
    /** Claims the key for a new request; null when it was free, else what is already stored. */
    async claim(
      tenantId: string,
      principal: string,
      key: string,
      req: { method: string; path: string; requestHash: string },
      now: Date,
    ): Promise<IdempotencyRecord | null> {
      const inserted = await db
        .insertInto('idempotency_keys')
        .values({
          tenant_id: tenantId,
          principal,
          key,
          method: req.method,
          path: req.path,
          request_hash: req.requestHash,
          state: 'pending',
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['tenant_id', 'principal', 'key']).doNothing())
        .returning('key')
        .executeTakeFirst();
      if (inserted) return null;
      const r = await db
        .selectFrom('idempotency_keys')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('principal', '=', principal)
        .where('key', '=', key)
        .executeTakeFirstOrThrow();
      return {
        method: r.method,
        path: r.path,
        requestHash: r.request_hash,
        state: r.state === 'done' ? 'done' : 'pending',
        statusCode: r.status_code,
        response: r.response,
        createdAt: r.created_at,
      };
    },
    async complete(tenantId: string, principal: string, key: string, statusCode: number, response: unknown): Promise<void> {
      await db
        .updateTable('idempotency_keys')
        .set({ state: 'done', status_code: statusCode, response: JSON.stringify(response ?? null) })
        .where('tenant_id', '=', tenantId)
        .where('principal', '=', principal)
        .where('key', '=', key)
        .execute();
    },
    /** Frees the key after a server error so the client's retry runs for real. */
    async release(tenantId: string, principal: string, key: string): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('tenant_id', '=', tenantId)
        .where('principal', '=', principal)
        .where('key', '=', key)
        .execute();
    },
    async purgeOlderThan(before: Date): Promise<number> {
      const r = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type IdempotencyRepo = ReturnType<typeof idempotencyRepo>;
