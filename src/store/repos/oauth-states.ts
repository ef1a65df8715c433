import type { Selectable } from 'kysely';
import type { Db } from '../db.ts';
import type { OAuthStatesTable } from '../schema.ts';

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

type Row = Selectable<OAuthStatesTable>;
const toState = (r: Row): OAuthState => ({
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
});

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
    /**
     * Takes the state out (it can be used once), returning it if it had not expired; only for
     * the browser that started the flow and on that CRM's callback. Anyone else (a leaked
     * callback URL opened elsewhere) gets null and leaves the state for its own browser.
     */
    async consume(stateHash: string, browserHash: string, crm: OAuthState['crm'], now: Date): Promise<OAuthState | null> {
      const r = await db
        .deleteFrom('oauth_states')
        .where('state_hash', '=', stateHash)
        .where('browser_hash', '=', browserHash)
        .where('crm', '=', crm)
        .returningAll()
        .executeTakeFirst();
      return r && r.expires_at > now ? toState(r) : null;
    },
    /** A flow still waiting for its callback (read only: tells "wrong browser" from "expired"). */
    async pending(stateHash: string, now: Date): Promise<OAuthState | null> {
      const r = await db
        .selectFrom('oauth_states')
        .selectAll()
        .where('state_hash', '=', stateHash)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return r ? toState(r) : null;
    },
    async purgeExpired(now: Date): Promise<number> {
      const r = await db.deleteFrom('oauth_states').where('expires_at', '<=', now).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type OAuthStatesRepo = ReturnType<typeof oauthStatesRepo>;
