import type { Selectable } from 'kysely';
import type { Db } from '../db.ts';
import type { ModelsTable } from '../schema.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export interface StoredModel {
  id: number;
  version: number;
  status: string;
  active: boolean;
  trainedAt: Date;
  payload: Record<string, unknown>;
  report: Record<string, unknown>;
}

const toModel = (r: Selectable<ModelsTable>): StoredModel => ({
  id: r.id,
  version: r.version,
  status: r.status,
  active: r.active,
  trainedAt: r.trained_at,
  payload: parseStored(StoredObject, r.payload, { table: 'models', row: String(r.id), column: 'payload' }),
  report: parseStored(StoredObject, r.report, { table: 'models', row: String(r.id), column: 'report' }),
});

/** Versioned models per tenant; exactly one active at a time. */
export function modelsRepo(db: Db) {
  return {
    /** Stores a new version; when `activate`, it becomes the tenant's active model. */
    async save(
      tenantId: string,
      m: { status: string; trainedAt: Date; payload: Record<string, unknown>; report: Record<string, unknown> },
      activate: boolean,
    ): Promise<StoredModel> {
      return db.transaction().execute(async (tx) => {
        const last = await tx
          .selectFrom('models')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('tenant_id', '=', tenantId)
          .executeTakeFirst();
        const version = Number(last?.v ?? 0) + 1;
        if (activate) await tx.updateTable('models').set({ active: false }).where('tenant_id', '=', tenantId).execute();
        const row = await tx
          .insertInto('models')
          .values({
            tenant_id: tenantId,
            version,
            status: m.status,
            active: activate,
            trained_at: m.trainedAt,
            payload: JSON.stringify(m.payload),
            report: JSON.stringify(m.report),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toModel(row);
      });
    },
    async active(tenantId: string): Promise<StoredModel | null> {
      const r = await db.selectFrom('models').selectAll().where('tenant_id', '=', tenantId).where('active', '=', true).executeTakeFirst();
      return r ? toModel(r) : null;
    },
    async get(tenantId: string, id: number): Promise<StoredModel | null> {
      const r = await db.selectFrom('models').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return r ? toModel(r) : null;
    },
    /** Newest first, without payloads' weight (the list view needs reports only). */
    async list(tenantId: string, limit = 20): Promise<StoredModel[]> {
      const rows = await db
        .selectFrom('models')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('version', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toModel);
    },
    /** Rollback: make an earlier version active again. */
    async activate(tenantId: string, id: number): Promise<void> {
      await db.transaction().execute(async (tx) => {
        const hit = await tx.selectFrom('models').select('id').where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
        if (!hit) throw new Error(`model ${id} not found for tenant ${tenantId}`);
        await tx.updateTable('models').set({ active: false }).where('tenant_id', '=', tenantId).execute();
        await tx.updateTable('models').set({ active: true }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
      });
    },
    /** Keeps the newest `keep` versions (and the active one); returns how many were removed. */
    async prune(tenantId: string, keep: number): Promise<number> {
      const keepIds = (await this.list(tenantId, keep)).map((m) => m.id);
      const r = await db
        .deleteFrom('models')
        .where('tenant_id', '=', tenantId)
        .where('active', '=', false)
        .$if(keepIds.length > 0, (q) => q.where('id', 'not in', keepIds))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
export type ModelsRepo = ReturnType<typeof modelsRepo>;
