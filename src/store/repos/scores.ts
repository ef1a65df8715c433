import { type Insertable, type Selectable, sql } from 'kysely';
import { z } from 'zod';
import type { ScoreTrace } from '../../core/scoring/risk-change.ts';
import { storableJson } from '../../core/storable-text.ts';
import type { Db } from '../db.ts';
import type { ScoresTable } from '../schema.ts';
import { parseStored, StoredObject } from '../stored-json.ts';

export interface StoredScore {
  source: string;
  externalId: string;
  modelId: number | null;
  scoredAt: Date;
  score: number;
  category: string;
  winProbability: number;
  modelStatus: string;
  inputHash: string;
  detail: Record<string, unknown>;
  /** What explains this scoring against another (the risk change ledger); null before migration 0013. */
  trace?: ScoreTrace | null;
}

/** A stored trace, validated where it leaves the database. */
const StoredTrace = z.object({
  v: z.number(),
  b: z.number(),
  c: z.record(z.string(), z.number()),
  x: z.record(z.string(), z.union([z.string(), z.number(), z.null()])),
});

type Row = Omit<Selectable<ScoresTable>, 'id' | 'tenant_id'>;
const toScore =
  (tenantId: string) =>
  (r: Row): StoredScore => ({
    source: r.source,
    externalId: r.external_id,
    modelId: r.model_id,
    scoredAt: r.scored_at,
    score: r.score,
    category: r.category,
    winProbability: r.win_probability,
    modelStatus: r.model_status,
    inputHash: r.input_hash,
    detail: parseStored(StoredObject, r.detail, {
      table: 'scores',
      row: `${tenantId}/${r.source}/${r.external_id}@${r.scored_at.toISOString()}`,
      column: 'detail',
    }),
    trace:
      r.trace === null || r.trace === undefined
        ? null
        : parseStored(StoredTrace, r.trace, {
            table: 'scores',
            row: `${tenantId}/${r.source}/${r.external_id}@${r.scored_at.toISOString()}`,
            column: 'trace',
          }),
  });

/** The `scores` row of one stored score: syncState.saveScores, the one writer of scores, writes it. */
export const scoreRow = (tenantId: string, s: StoredScore): Insertable<ScoresTable> => ({
  tenant_id: tenantId,
  source: s.source,
  external_id: s.externalId,
  model_id: s.modelId,
  scored_at: s.scoredAt,
  score: s.score,
  category: s.category,
  win_probability: s.winProbability,
  model_status: s.modelStatus,
  input_hash: s.inputHash,
  detail: storableJson(s.detail),
  trace: s.trace ? storableJson(s.trace) : null,
});

/** Score history per deal, read side (syncState.saveScores writes it); the latest row per deal is its current score. */
export function scoresRepo(db: Db) {
  /** One deal's scorings, the newest first. */
  const newestFirst = (tenantId: string, source: string, externalId: string) =>
    db
      .selectFrom('scores')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('source', '=', source)
      .where('external_id', '=', externalId)
      .orderBy('scored_at', 'desc')
      .orderBy('id', 'desc');
  return {
    /** The latest score of every (not deleted) deal of the tenant. */
    async latest(tenantId: string, opts: { source?: string; externalIds?: string[] } = {}): Promise<StoredScore[]> {
      let q = db
        .selectFrom('scores as s')
        .innerJoin('deals as d', (j) =>
          j.onRef('d.tenant_id', '=', 's.tenant_id').onRef('d.source', '=', 's.source').onRef('d.external_id', '=', 's.external_id'),
        )
        .distinctOn(['s.source', 's.external_id'])
        .select([
          's.source',
          's.external_id',
          's.model_id',
          's.scored_at',
          's.score',
          's.category',
          's.win_probability',
          's.model_status',
          's.input_hash',
          's.detail',
          's.trace',
        ])
        .where('s.tenant_id', '=', tenantId)
        .where('d.deleted_at', 'is', null);
      if (opts.source) q = q.where('s.source', '=', opts.source);
      if (opts.externalIds) {
        if (opts.externalIds.length === 0) return [];
        q = q.where('s.external_id', 'in', opts.externalIds);
      }
      const rows = await q.orderBy('s.source').orderBy('s.external_id').orderBy('s.scored_at', 'desc').orderBy('s.id', 'desc').execute();
      return rows.map(toScore(tenantId));
    },
    async history(tenantId: string, source: string, externalId: string, limit = 50): Promise<StoredScore[]> {
      const rows = await newestFirst(tenantId, source, externalId).limit(limit).execute();
      return rows.map(toScore(tenantId));
    },
    /**
     * The deal's latest scoring at or before `at` (the "before" side of a change), null when the
     * history starts later or was purged.
     */
    async atOrBefore(tenantId: string, source: string, externalId: string, at: Date): Promise<StoredScore | null> {
      const row = await newestFirst(tenantId, source, externalId).where('scored_at', '<=', at).limit(1).executeTakeFirst();
      return row ? toScore(tenantId)(row) : null;
    },
    async purgeOlderThan(tenantId: string, before: Date): Promise<number> {
      const r = await db.deleteFrom('scores').where('tenant_id', '=', tenantId).where('scored_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async count(tenantId: string): Promise<number> {
      const r = await db
        .selectFrom('scores')
        .select(sql<number>`count(*)::int`.as('n'))
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return r?.n ?? 0;
    },
  };
}
export type ScoresRepo = ReturnType<typeof scoresRepo>;
