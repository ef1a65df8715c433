import type { Db } from '../db.ts';

export interface SessionRecord {
  idHash: string;
  tenantId: string;
  userId: string;
  csrfToken: string;
  createdAt: Date;
  expiresAt: Date;
}

/** Signed-in browser sessions, stored by the hash of their cookie token. */
export function sessionsRepo(db: Db) {
  return {
    async create(s: SessionRecord): Promise<void> {
      await db
        .insertInto('sessions')
        .values({
          id_hash: s.idHash,
          tenant_id: s.tenantId,
          user_id: s.userId,
          csrf_token: s.csrfToken,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    /** The session when it exists and has not expired. */
    async find(idHash: string, now: Date): Promise<SessionRecord | null> {
      const r = await db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst();
      return r
        ? {
            idHash: r.id_hash,
            tenantId: r.tenant_id,
            userId: r.user_id,
            csrfToken: r.csrf_token,
            createdAt: r.created_at,
            expiresAt: r.expires_at,
          }
        : null;
    },
    async remove(idHash: string): Promise<void> {
      await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
    },
    /** Signs a user out everywhere (role change, removal). */
    async removeForUser(tenantId: string, userId: string): Promise<void> {
      await db.deleteFrom('sessions').where('tenant_id', '=', tenantId).where('user_id', '=', userId).execute();
    },
    async purgeExpired(now: Date): Promise<number> {
      const r = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type SessionsRepo = ReturnType<typeof sessionsRepo>;
