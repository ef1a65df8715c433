import { sql } from 'kysely';
import type { Db } from '../db.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

/** What the audit page asks for: newest first, one page at a time. */
export interface AuditQuery {
  /** Only entries older than this id (the previous page's `nextBefore`). */
  before?: number;
  /** Exactly this action, e.g. `api_key.created`. */
  action?: string;
  /** Actors whose label contains this, case-insensitively (a name, an email, a key name). */
  actor?: string;
  /**
   * Include API-key reads (`api.request` of a GET). Off by default: a read-only key making
   * thousands of calls must not push the admin actions out of view.
   */
  includeReads?: boolean;
  limit: number;
}

/** API-key reads as stored by the web app's audit buffer: action `api.request`, target `GET /path`. */
export const isApiRead = (e: Pick<AuditEntry, 'action' | 'target'>): boolean =>
  e.action === 'api.request' && /^(GET|HEAD) /.test(e.target ?? '');

export function auditRepo(db: Db) {
  /**
   * One page of the log, newest first, by keyset on the id (no offset that grows with the log).
   * `nextBefore` is set when older entries match too.
   */
  async function page(tenantId: string, q: AuditQuery): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
    let query = db.selectFrom('audit_log').selectAll().where('tenant_id', '=', tenantId);
    if (q.before !== undefined) query = query.where('id', '<', q.before);
    if (q.action) query = query.where('action', '=', q.action);
    if (q.actor) query = query.where(sql<boolean>`strpos(lower(actor), lower(${q.actor})) > 0`);
    // The same predicate as the partial index audit_log_without_reads (migration 0006).
    if (!q.includeReads) query = query.where(sql<boolean>`not (action = 'api.request' and coalesce(target, '') ~ '^(GET|HEAD) ')`);
    const rows = await query
      .orderBy('id', 'desc')
      .limit(q.limit + 1)
      .execute();
    const entries = rows.slice(0, q.limit).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      details: parseStored(StoredObject, r.details, { table: 'audit_log', row: String(r.id), column: 'details' }),
    }));
    return { entries, nextBefore: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
  }

  return {
    async add(
      tenantId: string,
      e: { actor: string; action: string; target?: string | null; details?: Record<string, unknown> },
      at: Date,
    ): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          tenant_id: tenantId,
          at,
          actor: e.actor,
          action: e.action,
          target: e.target ?? null,
          details: JSON.stringify(e.details ?? {}),
        })
        .execute();
    },
    async list(tenantId: string, limit = 100): Promise<AuditEntry[]> {
      return (await page(tenantId, { limit, includeReads: true })).entries;
    },
    page,
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;
