import type { Db } from '../db.ts';

const HOUR_MS = 3_600_000;

/**
 * The API calls the real-time change poll spends (src/sync/realtime.ts), per connection and hour.
 * A poll is no sync run, so these calls are on no run record; at one poll every 45 s they are
 * about 1,920 a day per Salesforce connection, which the org's daily limit counts all the same.
 * Counted by the hour: a rolling 24 h sum includes the whole hour it starts in, so it errs high
 * (by at most one hour of polls), the safe side for a budget.
 */
export function changePollCallsRepo(db: Db) {
  return {
    /** One poll that made `calls` API calls (0 when the connector answered without asking the CRM). */
    async record(tenantId: string, connectionId: string, calls: number, at: Date): Promise<void> {
      const hour = new Date(Math.floor(at.getTime() / HOUR_MS) * HOUR_MS);
      await db
        .insertInto('change_poll_calls')
        .values({ tenant_id: tenantId, connection_id: connectionId, hour, polls: 1, calls })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'connection_id', 'hour']).doUpdateSet((eb) => ({
            polls: eb('change_poll_calls.polls', '+', 1),
            calls: eb('change_poll_calls.calls', '+', eb.ref('excluded.calls')),
          })),
        )
        .execute();
    },
    /** Polls and their API calls of a connection since `since` (from the start of its hour). */
    async since(tenantId: string, connectionId: string, since: Date): Promise<{ polls: number; calls: number }> {
      const from = new Date(Math.floor(since.getTime() / HOUR_MS) * HOUR_MS);
      const r = await db
        .selectFrom('change_poll_calls')
        .select((eb) => [
          eb.fn.coalesce(eb.fn.sum<number>('polls'), eb.lit(0)).as('polls'),
          eb.fn.coalesce(eb.fn.sum<number>('calls'), eb.lit(0)).as('calls'),
        ])
        .where('tenant_id', '=', tenantId)
        .where('connection_id', '=', connectionId)
        .where('hour', '>=', from)
        .executeTakeFirst();
      return { polls: Number(r?.polls ?? 0), calls: Number(r?.calls ?? 0) };
    },
    async purgeOlderThan(tenantId: string, before: Date): Promise<number> {
      const r = await db.deleteFrom('change_poll_calls').where('tenant_id', '=', tenantId).where('hour', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type ChangePollCallsRepo = ReturnType<typeof changePollCallsRepo>;
