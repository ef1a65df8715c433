import type { Db } from '../db.ts';

export interface OAuthState {
  stateHash: string;
  browserHash: string;
  crm: 'salesforce' | 'hubspot';
  purpose: 'install' | 'signin';
  environment: 'production' | 'sandbox';
  codeVerifier: string;
  tenantId: string | null;
  connectionId: string | null;
  createdAt: Date;
  expiresAt: Date;
}

/** OAuth flows in progress: single-use, short-lived, bound to the browser that started them. */
export function oauthStatesRepo(db: Db) {
  return {
    async create(s: OAuthState): Promise<void> {
      await db
        .insertInto('oauth_states')
        .values({
          state_hash: s.stateHash,
          browser_hash: s.browserHash,
          crm: s.crm,
          purpose: s.purpose,
          environment: s.environment,
          code_verifier: s.codeVerifier,
          tenant_id: s.tenantId,
          connection_id: s.connectionId,
          created_at: s.createdAt,
          expires_at: s.expiresAt,
        })
        .execute();
    },
    /** Takes the state out (it can be used once), returning it if it had not expired. */
    async consume(stateHash: string, now: Date): Promise<OAuthState | null> {
      const r = await db.deleteFrom('oauth_states').where('state_hash', '=', stateHash).returningAll().executeTakeFirst();
      if (!r || r.expires_at <= now) return null;
      return {
        stateHash: r.state_hash,
        browserHash: r.browser_hash,
        crm: r.crm as OAuthState['crm'],
        purpose: r.purpose as OAuthState['purpose'],
        environment: r.environment as OAuthState['environment'],
        codeVerifier: r.code_verifier,
        tenantId: r.tenant_id,
        connectionId: r.connection_id,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
      };
    },
    async purgeExpired(now: Date): Promise<number> {
      const r = await db.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type OAuthStatesRepo = ReturnType<typeof oauthStatesRepo>;
