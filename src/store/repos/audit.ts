import type { Db } from '../db.ts';

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export function auditRepo(db: Db) {
  return {
    async add(tenantId: string, e: { actor: string; action: string; target?: string | null; details?: Record<string, unknown> }, at: Date): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({ tenant_id: tenantId, at, actor: e.actor, action: e.action, target: e.target ?? null, details: JSON.stringify(e.details ?? {}) })
        .execute();
    },
    async list(tenantId: string, limit = 100): Promise<AuditEntry[]> {
      const rows = await db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId).orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, details: r.details }));
    },
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;
