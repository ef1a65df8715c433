import { randomUUID } from 'node:crypto';
import { type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { CredentialStore, Credentials } from '../../../connectors/types.ts';
import { open, seal } from '../crypto.ts';
import type { Db } from '../db.ts';
import type { ConnectionsTable } from '../schema.ts';
import { parseJson, parseStored, StoredObject, storedDate } from '../stored-json.ts';

export type ConnectionStatus = 'active' | 'needs_reauth' | 'paused' | 'disconnected';

export interface Connection {
  id: string;
  tenantId: string;
  crm: 'salesforce' | 'hubspot' | 'csv';
  accountId: string | null;
  instanceUrl: string | null;
  status: ConnectionStatus;
  statusReason: string | null;
  cursor: string | null;
  pausedUntil: Date | null;
  lastSyncAt: Date | null;
  settings: Record<string, unknown>;
  hasCredentials: boolean;
}

const toConnection = (r: Selectable<ConnectionsTable>): Connection => ({
  id: r.id,
  tenantId: r.tenant_id,
  crm: r.crm,
  accountId: r.account_id,
  instanceUrl: r.instance_url,
  status: r.status as ConnectionStatus,
  statusReason: r.status_reason,
  cursor: r.cursor,
  pausedUntil: r.paused_until,
  lastSyncAt: r.last_sync_at,
  settings: parseStored(StoredObject, r.settings, { table: 'connections', row: r.id, column: 'settings' }),
  hasCredentials: r.credentials !== null,
});

/**
 * `connections.credentials` once opened: the tokens as saved (keys a connector adds pass through).
 * Zod's messages name a field and a type, never a value, so a malformed row's error leaks no token.
 */
const StoredCredentials: z.ZodType<Credentials, unknown> = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string().nullable().optional(),
    instanceUrl: z.string().nullable().optional(),
    expiresAt: storedDate.nullable().default(null),
    accountId: z.string().nullable().optional(),
    authBaseUrl: z.string().nullable().optional(),
    scopes: z.array(z.string()).optional(),
    userId: z.string().nullable().optional(),
  })
  .loose();

/** Connections with their tokens sealed (AES-256-GCM) at rest; every call names its tenant. */
export function connectionsRepo(db: Db, key: Buffer) {
  const base = (tenantId: string) => db.selectFrom('connections').selectAll().where('tenant_id', '=', tenantId);
  return {
    async create(
      tenantId: string,
      c: {
        crm: Connection['crm'];
        accountId?: string | null;
        instanceUrl?: string | null;
        credentials?: Credentials | null;
        settings?: Record<string, unknown>;
      },
      now: Date,
    ): Promise<Connection> {
      const id = randomUUID();
      await db
        .insertInto('connections')
        .values({
          id,
          tenant_id: tenantId,
          crm: c.crm,
          account_id: c.accountId ?? null,
          instance_url: c.instanceUrl ?? null,
          status: 'active',
          credentials: c.credentials ? seal(key, JSON.stringify(c.credentials)) : null,
          settings: JSON.stringify(c.settings ?? {}),
          updated_at: now,
        })
        .execute();
      return (await this.get(tenantId, id))!;
    },
    async get(tenantId: string, id: string): Promise<Connection | null> {
      const r = await base(tenantId).where('id', '=', id).executeTakeFirst();
      return r ? toConnection(r) : null;
    },
    async list(tenantId: string): Promise<Connection[]> {
      return (await base(tenantId).orderBy('created_at').execute()).map(toConnection);
    },
    /**
     * Connections whose change poll may be due (issue 18): synced once (a cursor), and not polled
     * within `everyMs` (the deployment's realtime.pollSeconds), or of a tenant whose settings
     * override realtime (its own interval applies; claimChangePoll decides). One query for every
     * tenant, instead of a list per tenant and a claim per connection every poll.
     */
    async changePollCandidates(everyMs: number): Promise<Connection[]> {
      const r = await db
        .selectFrom('connections as c')
        .innerJoin('tenants as t', 't.id', 'c.tenant_id')
        .selectAll('c')
        .where('c.cursor', 'is not', null)
        .where((eb) =>
          eb.or([
            eb('c.changes_polled_at', 'is', null),
            eb('c.changes_polled_at', '<=', sql<Date>`now() - ${everyMs} * interval '1 millisecond'`),
            sql<boolean>`(t.settings -> 'sync' -> 'realtime') is not null`,
          ]),
        )
        .orderBy('c.tenant_id')
        .execute();
      return r.map(toConnection);
    },
    /** Finds the tenant's connection to one org/portal (re-install of the same account). */
    async findByAccount(tenantId: string, crm: Connection['crm'], accountId: string): Promise<Connection | null> {
      const r = await base(tenantId).where('crm', '=', crm).where('account_id', '=', accountId).executeTakeFirst();
      return r ? toConnection(r) : null;
    },
    async update(
      tenantId: string,
      id: string,
      patch: Partial<
        Pick<Connection, 'status' | 'statusReason' | 'cursor' | 'pausedUntil' | 'lastSyncAt' | 'instanceUrl' | 'accountId' | 'settings'>
      >,
      now: Date,
    ): Promise<void> {
      await db
        .updateTable('connections')
        .set({
          ...(patch.status !== undefined ? { status: patch.status } : {}),
          ...(patch.statusReason !== undefined ? { status_reason: patch.statusReason } : {}),
          ...(patch.cursor !== undefined ? { cursor: patch.cursor } : {}),
          ...(patch.pausedUntil !== undefined ? { paused_until: patch.pausedUntil } : {}),
          ...(patch.lastSyncAt !== undefined ? { last_sync_at: patch.lastSyncAt } : {}),
          ...(patch.instanceUrl !== undefined ? { instance_url: patch.instanceUrl } : {}),
          ...(patch.accountId !== undefined ? { account_id: patch.accountId } : {}),
          ...(patch.settings !== undefined ? { settings: JSON.stringify(patch.settings) } : {}),
          updated_at: now,
        })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
    /**
     * Claims this interval's change poll of a connection: true for one caller per `everyMs`, on
     * the database clock (workers on several machines agree), with the mark to resume from.
     */
    async claimChangePoll(tenantId: string, id: string, everyMs: number): Promise<{ mark: string | null } | null> {
      const r = await sql<{ changes_mark: string | null }>`
        update connections set changes_polled_at = now()
        where tenant_id = ${tenantId} and id = ${id}
          and (changes_polled_at is null or changes_polled_at <= now() - ${everyMs} * interval '1 millisecond')
        returning changes_mark`.execute(db);
      const row = r.rows[0];
      return row ? { mark: row.changes_mark } : null;
    },
    /** Saves where the next change poll resumes (null: from the latest change). */
    async saveChangeMark(tenantId: string, id: string, mark: string | null): Promise<void> {
      await db.updateTable('connections').set({ changes_mark: mark }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },
    async loadCredentials(tenantId: string, id: string): Promise<Credentials | null> {
      const r = await db
        .selectFrom('connections')
        .select('credentials')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!r?.credentials) return null;
      const at = { table: 'connections', row: id, column: 'credentials' };
      return parseStored(StoredCredentials, parseJson(open(key, r.credentials), at), at);
    },
    async saveCredentials(tenantId: string, id: string, credentials: Credentials | null, now: Date): Promise<void> {
      await db
        .updateTable('connections')
        .set({ credentials: credentials ? seal(key, JSON.stringify(credentials)) : null, updated_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    },
    /** Uninstall: tokens deleted, syncs stop; the deals and scores stay for the record. */
    async disconnect(tenantId: string, id: string, reason: string, now: Date): Promise<void> {
      await this.saveCredentials(tenantId, id, null, now);
      await this.update(tenantId, id, { status: 'disconnected', statusReason: reason }, now);
    },
    /** The CredentialStore a connector uses for one connection. */
    credentialStore(tenantId: string, id: string, clock: () => Date = () => new Date()): CredentialStore {
      return {
        load: async () => {
          const c = await this.loadCredentials(tenantId, id);
          if (!c) throw new Error(`connection ${id} of tenant ${tenantId} has no credentials`);
          return c;
        },
        save: (c) => this.saveCredentials(tenantId, id, c, clock()),
        markNeedsReauth: (reason) => this.update(tenantId, id, { status: 'needs_reauth', statusReason: reason }, clock()),
      };
    },
  };
}
export type ConnectionsRepo = ReturnType<typeof connectionsRepo>;
