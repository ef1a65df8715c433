import { type Insertable, sql } from 'kysely';
import type { Deal, Source, StageStatus } from '../../core/deal.ts';
import { dealInputHash } from '../../core/deal-hash.ts';
import { storableJson, storableText } from '../../core/storable-text.ts';
import type { Db } from '../db.ts';
import { dealFromJson } from '../deal-json.ts';
import { describeStoreError, writeIsolating } from '../isolate-records.ts';
import type { DealsTable } from '../schema.ts';

export interface DealWrite {
  deal: Deal;
  raw?: Record<string, unknown> | null;
  connectionId?: string | null;
}

export interface UpsertOutcome {
  inserted: number;
  updated: number;
  /** Same inputs as stored (e.g. an echo of our own write): nothing to rescore. */
  unchanged: number;
  /** External ids whose scoring inputs are new or changed. */
  changedIds: string[];
  /** Deals the database refused (each alone; the others were stored), with the column when known. */
  rejected: Array<{ source: Source; externalId: string; field: string | null; reason: string }>;
}

export interface DealQuery {
  status?: StageStatus | StageStatus[];
  source?: Source;
  ownerId?: string;
  /** Only deals closed at or after this instant. */
  closedSince?: Date;
  includeDeleted?: boolean;
  limit?: number;
  offset?: number;
}

/** Rows per INSERT: well under Postgres' 65,535 bind-parameter limit. */
const CHUNK = 2000;

/**
 * The `deals` row of one deal. Text goes through storableText/storableJson: the mappers already
 * clean what a CRM sends, and this keeps any other writer from storing what Postgres refuses.
 */
function dealRow(tenantId: string, { deal, raw, connectionId }: DealWrite, now: Date): DealRow {
  return {
    tenant_id: tenantId,
    source: deal.source,
    external_id: storableText(deal.externalId),
    connection_id: connectionId ?? null,
    data: storableJson(deal),
    raw: raw ? storableJson(raw) : null,
    input_hash: dealInputHash(deal),
    status: deal.stage.status,
    amount: deal.amount,
    owner_id: deal.owner.id === null ? null : storableText(deal.owner.id),
    owner_name: deal.owner.name === null ? null : storableText(deal.owner.name),
    created_at: deal.createdAt,
    closed_at: deal.closedAt,
    modified_at: deal.modifiedAt,
    deleted_at: null,
    updated_at: now,
  };
}
/** A `deals` row as written (the schema's insert type). */
type DealRow = Insertable<DealsTable>;

function withStorableId(w: DealWrite): DealWrite {
  const id = storableText(w.deal.externalId);
  return id === w.deal.externalId ? w : { ...w, deal: { ...w.deal, externalId: id } };
}

/** Each (source, id) once, as its last entry: one INSERT ... ON CONFLICT cannot touch a row twice. */
function lastOfEach(items: DealWrite[]): DealWrite[] {
  const last = new Map<string, number>();
  for (const [i, w] of items.entries()) last.set(`${w.deal.source}\u0000${w.deal.externalId}`, i);
  return last.size === items.length ? items : items.filter((w, i) => last.get(`${w.deal.source}\u0000${w.deal.externalId}`) === i);
}

export function dealsRepo(db: Db) {
  async function existingHashes(tenantId: string, source: string, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('deals')
      .select(['external_id', 'input_hash', 'deleted_at'])
      .where('tenant_id', '=', tenantId)
      .where('source', '=', source)
      .where('external_id', 'in', ids)
      .execute();
    return new Map(rows.filter((r) => r.deleted_at === null).map((r) => [r.external_id, r.input_hash]));
  }

  /** The tenant's deals a query asks for (no columns, order or paging yet). */
  function matching(tenantId: string, q: DealQuery) {
    let query = db.selectFrom('deals').where('tenant_id', '=', tenantId);
    if (!q.includeDeleted) query = query.where('deleted_at', 'is', null);
    if (q.status) query = query.where('status', 'in', Array.isArray(q.status) ? q.status : [q.status]);
    if (q.source) query = query.where('source', '=', q.source);
    if (q.ownerId) query = query.where('owner_id', '=', q.ownerId);
    if (q.closedSince) query = query.where('closed_at', '>=', q.closedSince);
    return query;
  }

  async function insertRows(rows: DealRow[]): Promise<void> {
    await db
      .insertInto('deals')
      .values(rows)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'source', 'external_id'])
          .doUpdateSet((eb) => ({
            connection_id: eb.ref('excluded.connection_id'),
            data: eb.ref('excluded.data'),
            raw: eb.ref('excluded.raw'),
            input_hash: eb.ref('excluded.input_hash'),
            status: eb.ref('excluded.status'),
            amount: eb.ref('excluded.amount'),
            owner_id: eb.ref('excluded.owner_id'),
            owner_name: eb.ref('excluded.owner_name'),
            created_at: eb.ref('excluded.created_at'),
            closed_at: eb.ref('excluded.closed_at'),
            modified_at: eb.ref('excluded.modified_at'),
            deleted_at: null,
            updated_at: eb.ref('excluded.updated_at'),
          }))
          // An echo of our own write changes nothing we score: leave the row (and the
          // deal_risk trigger) alone unless the inputs, a deletion or the connection changed.
          .where((eb) =>
            eb.or([
              eb('deals.input_hash', 'is distinct from', eb.ref('excluded.input_hash')),
              eb('deals.deleted_at', 'is not', null),
              eb('deals.connection_id', 'is distinct from', eb.ref('excluded.connection_id')),
            ]),
          ),
      )
      .execute();
  }

  return {
    existingHashes,

    /**
     * Stores the current state of each deal (one tenant per call). A deal whose input hash is
     * unchanged (an echo of our own write-back) keeps its stored row untouched. A deal listed
     * twice is stored once, as its last entry. A row the database refuses is isolated and
     * returned in `rejected`; every other row is stored.
     */
    async upsertMany(tenantId: string, items: DealWrite[], now: Date): Promise<UpsertOutcome> {
      const out: UpsertOutcome = { inserted: 0, updated: 0, unchanged: 0, changedIds: [], rejected: [] };
      // One id for the look-up, the insert and the repeat check: the one the row is stored under.
      const unique = lastOfEach(items.map(withStorableId));
      for (let i = 0; i < unique.length; i += CHUNK) {
        const chunk = unique.slice(i, i + CHUNK);
        for (const { deal } of chunk) {
          if (deal.tenantId !== tenantId) throw new Error(`deal ${deal.externalId} belongs to tenant ${deal.tenantId}, not ${tenantId}`);
        }
        const bySource = new Map<string, string[]>();
        for (const { deal } of chunk) bySource.set(deal.source, [...(bySource.get(deal.source) ?? []), deal.externalId]);
        const known = new Map<string, string>();
        for (const [source, ids] of bySource) {
          for (const [id, h] of await existingHashes(tenantId, source, ids)) known.set(`${source}\u0000${id}`, h);
        }
        const rows: Array<{ row: DealRow; deal: Deal; prev: string | undefined }> = [];
        for (const w of chunk) {
          try {
            rows.push({ row: dealRow(tenantId, w, now), deal: w.deal, prev: known.get(`${w.deal.source}\u0000${w.deal.externalId}`) });
          } catch (e) {
            out.rejected.push({
              source: w.deal.source,
              externalId: w.deal.externalId,
              field: null,
              reason: `could not be prepared for storage: ${e instanceof Error ? e.message : String(e)}`,
            });
          }
        }
        const failed = await writeIsolating(rows, (batch) => insertRows(batch.map((r) => r.row)));
        const refused = new Set(failed.map((f) => f.item));
        for (const f of failed)
          out.rejected.push({ source: f.item.deal.source, externalId: f.item.deal.externalId, ...describeStoreError(f.error) });
        for (const r of rows) {
          if (refused.has(r)) continue;
          if (r.prev === undefined) out.inserted++;
          else if (r.prev === r.row.input_hash) out.unchanged++;
          else out.updated++;
          if (r.prev !== r.row.input_hash) out.changedIds.push(r.deal.externalId);
        }
      }
      return out;
    },

    async list(tenantId: string, q: DealQuery = {}): Promise<Deal[]> {
      let query = matching(tenantId, q).select('data').orderBy('source').orderBy('external_id');
      if (q.limit !== undefined) query = query.limit(q.limit);
      if (q.offset) query = query.offset(q.offset);
      return (await query.execute()).map((r) => dealFromJson(r.data));
    },

    /**
     * The same deals as `list`, a page at a time in (source, external_id) order: a keyset, so a
     * tenant's whole history is never held as one result set (training, similar-deal index).
     */
    async *pages(tenantId: string, q: Omit<DealQuery, 'limit' | 'offset'> = {}, pageSize = 2000): AsyncGenerator<Deal[]> {
      let after: { source: string; externalId: string } | null = null;
      for (;;) {
        let query = matching(tenantId, q).select(['source', 'external_id', 'data']);
        if (after) {
          const a = after;
          query = query.where((eb) =>
            eb.or([eb('source', '>', a.source), eb.and([eb('source', '=', a.source), eb('external_id', '>', a.externalId)])]),
          );
        }
        const rows = await query.orderBy('source').orderBy('external_id').limit(pageSize).execute();
        if (rows.length === 0) return;
        const last = rows[rows.length - 1]!;
        after = { source: last.source, externalId: last.external_id };
        yield rows.map((r) => dealFromJson(r.data));
        if (rows.length < pageSize) return;
      }
    },

    async get(tenantId: string, source: Source, externalId: string): Promise<Deal | null> {
      const r = await db
        .selectFrom('deals')
        .select('data')
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', '=', externalId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return r ? dealFromJson(r.data) : null;
    },

    /**
     * The close date of the n-th most recently closed deal: `closedSince` for "the latest n".
     * Null when fewer than n closed deals have a close date.
     */
    async nthLatestClose(tenantId: string, n: number): Promise<Date | null> {
      const r = await db
        .selectFrom('deals')
        .select('closed_at')
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .where('status', 'in', ['won', 'lost'])
        .where('closed_at', 'is not', null)
        .orderBy('closed_at', 'desc')
        .offset(n - 1)
        .limit(1)
        .executeTakeFirst();
      return r?.closed_at ?? null;
    },

    /** Counts by status, e.g. { open: 120, won: 40, lost: 60 }. */
    async countByStatus(tenantId: string): Promise<Record<StageStatus, number>> {
      const rows = await db
        .selectFrom('deals')
        .select(['status', sql<number>`count(*)::int`.as('n')])
        .where('tenant_id', '=', tenantId)
        .where('deleted_at', 'is', null)
        .groupBy('status')
        .execute();
      const out: Record<StageStatus, number> = { open: 0, won: 0, lost: 0 };
      for (const r of rows) out[r.status] = r.n;
      return out;
    },

    /** Deleted or archived in the CRM: leaves the pipeline, kept for history. */
    async markDeleted(tenantId: string, source: Source, ids: string[], at: Date): Promise<number> {
      if (ids.length === 0) return 0;
      const r = await db
        .updateTable('deals')
        .set({ deleted_at: at, updated_at: at })
        .where('tenant_id', '=', tenantId)
        .where('source', '=', source)
        .where('external_id', 'in', ids.map(storableText))
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    },
  };
}
export type DealsRepo = ReturnType<typeof dealsRepo>;
