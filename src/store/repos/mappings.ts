import type { Db } from '../db.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

/** A tenant's own mapping documents, overriding the defaults in mappings/ (validated by the caller). */
export function mappingsRepo(db: Db) {
  return {
    async get(tenantId: string, source: string): Promise<Record<string, unknown> | null> {
      const r = await db
        .selectFrom('mapping_overrides')
        .select('document')
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .executeTakeFirst();
      return r
        ? parseStored(StoredObject, r.document, { table: 'mapping_overrides', row: `${tenantId}/${source}`, column: 'document' })
        : null;
    },
    async put(tenantId: string, source: string, document: Record<string, unknown>, by: string | null, now: Date): Promise<void> {
      await db
        .insertInto('mapping_overrides')
        .values({ tenant_id: tenantId, source, document: JSON.stringify(document), updated_at: now, updated_by: by })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'source']).doUpdateSet((eb) => ({
            document: eb.ref('excluded.document'),
            updated_at: eb.ref('excluded.updated_at'),
            updated_by: eb.ref('excluded.updated_by'),
          })),
        )
        .execute();
    },
    async remove(tenantId: string, source: string): Promise<void> {
      await db.deleteFrom('mapping_overrides').where('tenant_id', '=', tenantId).where('source', '=', source).execute();
    },
  };
}
export type MappingsRepo = ReturnType<typeof mappingsRepo>;
