import { sql } from 'kysely';
import type { DealCourse, Recommendation } from '../../core/actions/outcomes.ts';
import type { RiskCategory } from '../../core/scoring/categories.ts';
import type { Db } from '../db.ts';

/** A task the outbox sent, with what was known of its deal then (the latest score at or before sending). */
export interface SentTask {
  id: number;
  taskKey: string;
  externalId: string;
  /** The TaskRequest's own key (`<deal id>:<action>`). */
  requestKey: string | null;
  taskId: string | null;
  ownerId: string | null;
  sentAt: Date;
  score: number | null;
  category: string | null;
  /** The score's recommended actions (JSON as stored: each with its action and rule). */
  actions: unknown;
  ownerName: string | null;
  size: string | null;
  dealType: string | null;
}

/** A row of action_tasks as the sync step writes it. */
export interface ActionTask {
  taskKey: string;
  source: string;
  externalId: string;
  action: string;
  rule: string | null;
  taskId: string | null;
  ownerId: string | null;
  ownerName: string | null;
  recommendedAt: Date;
  score: number;
  category: RiskCategory;
  segment: string | null;
}

/** What the CRM says of one task now. */
export interface TaskStatus {
  taskId: string;
  status: 'open' | 'completed' | 'deleted';
  completedAt: Date | null;
}

export interface ActionTaskMarks {
  importedUntil: Date | null;
  readMark: string | null;
  readAt: Date | null;
}

const CATEGORIES = new Set<string>(['Low', 'Medium', 'High', 'Critical']);

/** Playbook tasks and what became of them (issue 16): written by the sync, read by the outcomes report. */
export function actionTasksRepo(db: Db) {
  return {
    /**
     * Task rows the outbox sent at or after `since` (all when null) that are not taken in yet,
     * oldest first, after the keyset `after`; each with the latest score at or before it was
     * sent and its deal's owner name, size and type.
     */
    async sentSince(
      tenantId: string,
      source: string,
      q: { since: Date | null; after: { at: Date; id: number } | null; limit: number },
    ): Promise<SentTask[]> {
      const since = q.since ? sql`and w.sent_at >= ${q.since}` : sql``;
      const after = q.after ? sql`and (w.sent_at, w.id) > (${q.after.at}, ${q.after.id})` : sql``;
      const r = await sql<{
        id: number | string;
        key: string;
        external_id: string;
        request_key: string | null;
        task_id: string | null;
        owner_id: string | null;
        sent_at: Date;
        score: number | null;
        category: string | null;
        actions: unknown;
        owner_name: string | null;
        size: string | null;
        deal_type: string | null;
      }>`
        select w.id, w.key, w.external_id, w.payload->>'key' as request_key, w.result->>'taskId' as task_id,
          w.payload->>'ownerId' as owner_id, w.sent_at, s.score, s.category, s.detail->'actions' as actions,
          d.owner_name, d.data->'account'->>'size' as size, d.data->>'dealType' as deal_type
        from writebacks w
        left join lateral (
          select x.score, x.category, x.detail from scores x
          where x.tenant_id = w.tenant_id and x.source = w.source and x.external_id = w.external_id and x.scored_at <= w.sent_at
          order by x.scored_at desc, x.id desc limit 1
        ) s on true
        left join deals d on d.tenant_id = w.tenant_id and d.source = w.source and d.external_id = w.external_id
        where w.tenant_id = ${tenantId} and w.source = ${source} and w.kind = 'task' and w.status = 'sent' ${since} ${after}
          and not exists (select 1 from action_tasks a where a.tenant_id = w.tenant_id and a.task_key = w.key)
        order by w.sent_at, w.id
        limit ${q.limit}`.execute(db);
      return r.rows.map((x) => ({
        id: Number(x.id),
        taskKey: x.key,
        externalId: x.external_id,
        requestKey: x.request_key,
        taskId: x.task_id,
        ownerId: x.owner_id,
        sentAt: new Date(x.sent_at),
        score: x.score,
        category: x.category,
        actions: x.actions,
        ownerName: x.owner_name,
        size: x.size,
        dealType: x.deal_type,
      }));
    },

    /** Takes tasks in; one already taken in is left as it is. */
    async insert(tenantId: string, rows: readonly ActionTask[]): Promise<number> {
      let n = 0;
      for (let i = 0; i < rows.length; i += 500) {
        const r = await db
          .insertInto('action_tasks')
          .values(
            rows.slice(i, i + 500).map((t) => ({
              tenant_id: tenantId,
              task_key: t.taskKey,
              source: t.source,
              external_id: t.externalId,
              action: t.action,
              rule: t.rule,
              task_id: t.taskId,
              owner_id: t.ownerId,
              owner_name: t.ownerName,
              recommended_at: t.recommendedAt,
              score: Math.round(t.score),
              category: t.category,
              segment: t.segment,
              status: 'open' as const,
            })),
          )
          .onConflict((oc) => oc.columns(['tenant_id', 'task_key']).doNothing())
          .executeTakeFirst();
        n += Number(r.numInsertedOrUpdatedRows ?? 0);
      }
      return n;
    },

    /**
     * Retention: tasks recommended before `before`, whatever became of them (the worker's purge,
     * with the score history's `retention.scoreHistoryDays`: a task is a recommendation on a score).
     */
    async purgeBefore(tenantId: string, before: Date): Promise<number> {
      const r = await db
        .deleteFrom('action_tasks')
        .where('tenant_id', '=', tenantId)
        .where('recommended_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    /** Open tasks recommended at or after `since` whose CRM id we know: the ones still worth asking about. */
    async openTracked(tenantId: string, source: string, since: Date): Promise<Array<{ taskId: string; recommendedAt: Date }>> {
      const rows = await db
        .selectFrom('action_tasks')
        .select(['task_id', 'recommended_at'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('status', '=', 'open')
        .where('recommended_at', '>=', since)
        .where('task_id', 'is not', null)
        .orderBy('recommended_at')
        .execute();
      return rows.map((r) => ({ taskId: r.task_id!, recommendedAt: r.recommended_at }));
    },

    /** Records what the CRM reported; only open tasks change (a completed one stays as first seen). */
    async applyStatuses(tenantId: string, source: string, statuses: readonly TaskStatus[], now: Date): Promise<number> {
      const changed = statuses.filter((s) => s.status !== 'open');
      if (changed.length === 0) return 0;
      const rows = changed.map((s) => ({ task_id: s.taskId, status: s.status, completed_at: s.completedAt?.toISOString() ?? null }));
      const r = await sql`
        update action_tasks a set status = x.status, completed_at = x.completed_at, checked_at = ${now}
        from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(task_id text, status text, completed_at timestamptz)
        where a.tenant_id = ${tenantId} and a.source = ${source} and a.task_id = x.task_id and a.status = 'open'`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    },

    async marks(tenantId: string, source: string): Promise<ActionTaskMarks> {
      const r = await db
        .selectFrom('action_task_marks')
        .select(['imported_until', 'read_mark', 'read_at'])
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .executeTakeFirst();
      return { importedUntil: r?.imported_until ?? null, readMark: r?.read_mark ?? null, readAt: r?.read_at ?? null };
    },

    async saveMarks(tenantId: string, source: string, m: Partial<ActionTaskMarks>): Promise<void> {
      const values = {
        ...(m.importedUntil !== undefined ? { imported_until: m.importedUntil } : {}),
        ...(m.readMark !== undefined ? { read_mark: m.readMark } : {}),
        ...(m.readAt !== undefined ? { read_at: m.readAt } : {}),
      };
      if (Object.keys(values).length === 0) return;
      await db
        .insertInto('action_task_marks')
        .values({ tenant_id: tenantId, source, ...values })
        .onConflict((oc) => oc.columns(['tenant_id', 'source']).doUpdateSet(values))
        .execute();
    },

    /** Every recommendation of the tenant (recommended at or after `since` when given). */
    async recommendations(tenantId: string, q: { since?: Date } = {}): Promise<Recommendation[]> {
      let query = db
        .selectFrom('action_tasks')
        .select([
          'source',
          'external_id',
          'action',
          'rule',
          'owner_id',
          'owner_name',
          'recommended_at',
          'score',
          'category',
          'segment',
          'status',
          'completed_at',
        ])
        .where('tenant_id', '=', tenantId);
      if (q.since) query = query.where('recommended_at', '>=', q.since);
      const rows = await query.orderBy('recommended_at').orderBy('task_key').execute();
      return rows
        .filter((r) => CATEGORIES.has(r.category))
        .map((r) => ({
          action: r.action,
          rule: r.rule,
          dealKey: `${r.source}:${r.external_id}`,
          ownerId: r.owner_id,
          ownerName: r.owner_name,
          recommendedAt: r.recommended_at,
          band: r.category as RiskCategory,
          score: r.score,
          segment: r.segment,
          completedAt: r.status === 'completed' ? r.completed_at : null,
          dismissed: r.status === 'deleted',
        }));
    },

    /**
     * What followed each recommended deal: its status now and, per recommendation, the latest
     * score in the `followDays` after it (what the report's risk change reads).
     */
    async courses(tenantId: string, q: { followDays: number; since?: Date }): Promise<Map<string, DealCourse>> {
      const since = q.since ? sql`and a.recommended_at >= ${q.since}` : sql``;
      const r = await sql<{
        source: string;
        external_id: string;
        status: 'open' | 'won' | 'lost' | null;
        closed_at: Date | null;
        scored_at: Date | null;
        score: number | null;
      }>`
        select a.source, a.external_id, d.status, d.closed_at, s.scored_at, s.score
        from action_tasks a
        left join deals d on d.tenant_id = a.tenant_id and d.source = a.source and d.external_id = a.external_id
        left join lateral (
          select x.scored_at, x.score from scores x
          where x.tenant_id = a.tenant_id and x.source = a.source and x.external_id = a.external_id
            and x.scored_at >= a.recommended_at and x.scored_at <= a.recommended_at + make_interval(days => ${q.followDays}::int)
          order by x.scored_at desc, x.id desc limit 1
        ) s on true
        where a.tenant_id = ${tenantId} ${since}`.execute(db);
      const out = new Map<string, { scores: Array<{ at: Date; score: number }>; status: DealCourse['status']; closedAt: Date | null }>();
      for (const row of r.rows) {
        const key = `${row.source}:${row.external_id}`;
        let c = out.get(key);
        if (!c) {
          c = { scores: [], status: row.status ?? 'open', closedAt: row.closed_at ? new Date(row.closed_at) : null };
          out.set(key, c);
        }
        if (row.scored_at && row.score !== null) c.scores.push({ at: new Date(row.scored_at), score: row.score });
      }
      return out;
    },
  };
}
export type ActionTasksRepo = ReturnType<typeof actionTasksRepo>;
