import type { Selectable } from 'kysely';
import type { Db } from '../db.ts';
import type { ApiKeysTable } from '../schema.ts';

export type ApiKeyRole = 'read' | 'admin';

export interface ApiKey {
  id: string;
  tenantId: string;
  name: string;
  prefix: string;
  role: ApiKeyRole;
  ratePerMinute: number;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type Row = Pick<Selectable<ApiKeysTable>, (typeof COLS)[number]>;
const toKey = (r: Row): ApiKey => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  prefix: r.prefix,
  role: r.role === 'admin' ? 'admin' : 'read',
  ratePerMinute: r.rate_per_minute,
  createdBy: r.created_by,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const COLS = [
  'id',
  'tenant_id',
  'name',
  'prefix',
  'role',
  'rate_per_minute',
  'created_by',
  'created_at',
  'last_used_at',
  'revoked_at',
] as const;

/** API keys, stored as hashes only: the secret is shown once at creation and never again. */
export function apiKeysRepo(db: Db) {
  return {
    async create(k: Omit<ApiKey, 'lastUsedAt' | 'revokedAt'> & { secretHash: string }): Promise<ApiKey> {
      await db
        .insertInto('api_keys')
        .values({
          id: k.id,
          tenant_id: k.tenantId,
          name: k.name,
          prefix: k.prefix,
          secret_hash: k.secretHash,
          role: k.role,
          rate_per_minute: k.ratePerMinute,
          created_by: k.createdBy,
          created_at: k.createdAt,
        })
        .execute();
      return (await this.get(k.tenantId, k.id))!;
    },
    /** The live (not revoked) key with this hash, whatever its tenant: authentication starts here. */
    async findActiveByHash(secretHash: string): Promise<ApiKey | null> {
      const r = await db
        .selectFrom('api_keys')
        .select(COLS)
        .where('secret_hash', '=', secretHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return r ? toKey(r) : null;
    },
    async get(tenantId: string, id: string): Promise<ApiKey | null> {
      const r = await db.selectFrom('api_keys').select(COLS).where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
      return r ? toKey(r) : null;
    },
    async list(tenantId: string): Promise<ApiKey[]> {
      const rows = await db.selectFrom('api_keys').select(COLS).where('tenant_id', '=', tenantId).orderBy('created_at', 'desc').execute();
      return rows.map(toKey);
    },
    async revoke(tenantId: string, id: string, now: Date): Promise<boolean> {
      const r = await db
        .updateTable('api_keys')
        .set({ revoked_at: now })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async touch(tenantId: string, id: string, now: Date): Promise<void> {
      await db.updateTable('api_keys').set({ last_used_at: now }).where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    },
  };
}
export type ApiKeysRepo = ReturnType<typeof apiKeysRepo>;
