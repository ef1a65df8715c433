import { sql } from 'kysely';
import type { Db } from '../db.ts';

/**
 * Webhook events already handled, in the database so that every web process and every restart
 * sees the same set. Claims are atomic: of two processes given the same event at once, exactly
 * one gets it.
 */
export function webhookEventsRepo(db: Db) {
  return {
    /**
     * Marks the keys as handled until `expiresAt` and returns those nobody holds: never seen, or
     * seen so long ago that the memory has expired. One statement (insert-if-absent), so two
     * concurrent claims of one key cannot both succeed.
     */
    async claim(source: string, keys: string[], now: Date, expiresAt: Date): Promise<string[]> {
      const unique = [...new Set(keys)];
      if (unique.length === 0) return [];
      const r = await sql<{ event_key: string }>`
        insert into webhook_events (source, event_key, claimed_at, expires_at)
        select ${source}, k, ${now}, ${expiresAt} from unnest(${unique}::text[]) as k
        on conflict (source, event_key) do update set claimed_at = excluded.claimed_at, expires_at = excluded.expires_at
          where webhook_events.expires_at <= excluded.claimed_at
        returning event_key`.execute(db);
      return r.rows.map((x) => x.event_key);
    },
    /** Forgets keys whose handling failed, so the CRM's retry is handled rather than dropped. */
    async release(source: string, keys: string[]): Promise<void> {
      if (keys.length === 0) return;
      await db.deleteFrom('webhook_events').where('source', '=', source).where('event_key', 'in', keys).execute();
    },
    /** Retention: events whose memory has expired. */
    async purgeExpired(now: Date): Promise<number> {
      const r = await db.deleteFrom('webhook_events').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type WebhookEventsRepo = ReturnType<typeof webhookEventsRepo>;
