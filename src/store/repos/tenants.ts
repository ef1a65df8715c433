import { type Selectable, sql } from 'kysely';
import type { Db } from '../db.ts';
import type { TenantsTable } from '../schema.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export interface Tenant {
  id: string;
  name: string;
  settings: Record<string, unknown>;
  createdAt: Date;
}

export function tenantsRepo(db: Db) {
  const toTenant = (r: Selectable<TenantsTable>): Tenant => ({
    id: r.id,
    name: r.name,
    settings: parseStored(StoredObject, r.settings, { table: 'tenants', row: r.id, column: 'settings' }),
    createdAt: r.created_at,
  });
  return {
    /** Creates the tenant if it does not exist; returns it either way. */
    async ensure(id: string, name = id): Promise<Tenant> {
      await db
        .insertInto('tenants')
        .values({ id, name, settings: JSON.stringify({}) })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      // Its worker bookkeeping row, so the worker's due-time queries see it (digest and quarter due now).
      await sql`insert into tenant_sync (tenant_id) values (${id}) on conflict (tenant_id) do nothing`.execute(db);
      return (await this.get(id))!;
    },
    async get(id: string): Promise<Tenant | null> {
      const r = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
      return r ? toTenant(r) : null;
    },
    /** All tenants: for the scheduler, which runs every tenant's sync. */
    async list(): Promise<Tenant[]> {
      return (await db.selectFrom('tenants').selectAll().orderBy('id').execute()).map(toTenant);
    },
    /** Every tenant's id, without settings: what the scheduler needs to set each one's slot timer. */
    async ids(): Promise<string[]> {
      return (await db.selectFrom('tenants').select('id').orderBy('id').execute()).map((r) => r.id);
    },
    async updateSettings(id: string, patch: Record<string, unknown>): Promise<Tenant> {
      const t = await this.get(id);
      if (!t) throw new Error(`tenant ${id} does not exist`);
      await db
        .updateTable('tenants')
        .set({ settings: JSON.stringify({ ...t.settings, ...patch }) })
        .where('id', '=', id)
        .execute();
      // The digest's time, zone or channels may have moved: the worker looks again at its next poll.
      await sql`update tenant_sync set digest_due_at = '-infinity' where tenant_id = ${id}`.execute(db);
      return (await this.get(id))!;
    },
  };
}
export type TenantsRepo = ReturnType<typeof tenantsRepo>;
