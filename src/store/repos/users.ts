import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Db } from '../db.ts';
import type { UsersTable } from '../schema.ts';

export type Role = 'admin' | 'viewer';

export interface User {
  id: string;
  tenantId: string;
  crm: string;
  crmUserId: string;
  email: string | null;
  name: string | null;
  role: Role;
  createdAt: Date;
  lastLoginAt: Date | null;
}

type Row = Selectable<UsersTable>;
const toUser = (r: Row): User => ({
  id: r.id,
  tenantId: r.tenant_id,
  crm: r.crm,
  crmUserId: r.crm_user_id,
  email: r.email,
  name: r.name,
  role: r.role === 'admin' ? 'admin' : 'viewer',
  createdAt: r.created_at,
  lastLoginAt: r.last_login_at,
});

/** People of a tenant, known by their CRM identity (org/portal user id), each with a role. */
export function usersRepo(db: Db) {
  const base = (tenantId: string) => db.selectFrom('users').selectAll().where('tenant_id', '=', tenantId);
  return {
    async get(tenantId: string, id: string): Promise<User | null> {
      const r = await base(tenantId).where('id', '=', id).executeTakeFirst();
      return r ? toUser(r) : null;
    },
    async findByIdentity(tenantId: string, crm: string, crmUserId: string): Promise<User | null> {
      const r = await base(tenantId).where('crm', '=', crm).where('crm_user_id', '=', crmUserId).executeTakeFirst();
      return r ? toUser(r) : null;
    },
    async list(tenantId: string): Promise<User[]> {
      return (await base(tenantId).orderBy('created_at').orderBy('id').execute()).map(toUser);
    },
    async countAdmins(tenantId: string): Promise<number> {
      const r = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('tenant_id', '=', tenantId)
        .where('role', '=', 'admin')
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    /**
     * Records a sign-in: creates the user with `role` the first time, otherwise refreshes name and
     * email and keeps the role an admin gave (unless `promote` asks for admin, as an install does).
     */
    async upsertOnLogin(
      tenantId: string,
      who: { crm: string; crmUserId: string; email?: string | null; name?: string | null },
      role: Role,
      now: Date,
      promote = false,
    ): Promise<User> {
      await db
        .insertInto('users')
        .values({
          id: randomUUID(),
          tenant_id: tenantId,
          crm: who.crm,
          crm_user_id: who.crmUserId,
          email: who.email ?? null,
          name: who.name ?? null,
          role,
          last_login_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'crm', 'crm_user_id']).doUpdateSet((eb) => ({
            email: eb.fn.coalesce('excluded.email', 'users.email'),
            name: eb.fn.coalesce('excluded.name', 'users.name'),
            last_login_at: eb.ref('excluded.last_login_at'),
            ...(promote ? { role: 'admin' } : {}),
          })),
        )
        .execute();
      return (await this.findByIdentity(tenantId, who.crm, who.crmUserId))!;
    },
    async setRole(tenantId: string, id: string, role: Role): Promise<boolean> {
      const r = await db.updateTable('users').set({ role }).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
  };
}
export type UsersRepo = ReturnType<typeof usersRepo>;

/**
 * Which tenant owns a CRM org or portal. The one lookup not scoped by tenant: sign-in starts from
 * the CRM identity and must find the tenant it belongs to (and only that one).
 */
export function tenantDirectory(db: Db) {
  return {
    async tenantForAccount(crm: string, accountId: string): Promise<string | null> {
      const r = await db
        .selectFrom('connections')
        .select('tenant_id')
        .where('crm', '=', crm as 'salesforce')
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .executeTakeFirst();
      return r?.tenant_id ?? null;
    },
  };
}
export type TenantDirectory = ReturnType<typeof tenantDirectory>;
