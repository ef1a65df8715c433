import { AppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, RawRecord } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import { buildStageMap, derive, type FieldHistoryRow, type HistoryFacts, type HistoryRow, type StageMap, type StageRow } from './derive.ts';
import {
  AGGREGATE_IDS_MAX,
  chunkForUri,
  contactRoleCountQuery,
  EMPLOYEES_PATH,
  fieldHistoryQuery,
  openTaskCountQuery,
  opportunityHistoryQuery,
  pageScope,
  stageQuery,
} from './soql.ts';

type Source = 'stages' | 'history' | 'fieldHistory' | 'tasks' | 'contactRoles';

const LABELS: Record<Source, string> = {
  stages: 'OpportunityStage (stage order)',
  history: 'OpportunityHistory (stage history, close-date pushes)',
  fieldHistory: 'OpportunityFieldHistory (tracked stage and close-date edits)',
  tasks: 'Task (open task count)',
  contactRoles: 'OpportunityContactRole (contact count)',
};

/** Codes that mean "this org does not let us read that": skip the source, keep syncing. */
const UNAVAILABLE = new Set(['INVALID_TYPE', 'INVALID_FIELD', 'MALFORMED_QUERY', 'INSUFFICIENT_ACCESS', 'INSUFFICIENT_ACCESS_OR_READONLY']);

interface CountRow {
  WhatId?: string;
  OpportunityId?: string;
  n: number;
}

/**
 * Adds `data._derived` to each opportunity of a page from up to four related-object queries
 * (plus OpportunityStage once per connector). History rows page with queryMore, so they take the
 * page's scope (pageScope); the two counts are aggregates, which cannot page, so they name the
 * page's ids, as many a query as the URI takes (chunkForUri, AGGREGATE_IDS_MAX). Each source is
 * optional: when the org hides it, it is skipped for the rest of the run with a warning and its
 * values stay null.
 */
export class HistoryEnricher {
  private stages: StageMap | null | undefined;
  private readonly off = new Set<Source>();
  private taskKeyField: string | null;

  constructor(
    private readonly api: SalesforceApi,
    keyField: string | null,
    private readonly enabled: boolean,
    private readonly log: ConnectorLogger,
    private readonly warn: (message: string) => void,
  ) {
    this.taskKeyField = keyField;
  }

  async enrich(records: RawRecord[], order: 'modstamp' | 'id'): Promise<void> {
    if (!records.length) return;
    const ids = new Set(records.map((r) => r.id));
    const scope = pageScope(records, order);
    const stages = this.enabled ? await this.stageMap() : null;
    const [history, fieldHistory, tasks, roles] = this.enabled
      ? [
          await this.rows<HistoryRow>('history', opportunityHistoryQuery(scope)),
          await this.rows<FieldHistoryRow>('fieldHistory', fieldHistoryQuery(scope)),
          await this.openTasks([...ids]),
          await this.countRows('contactRoles', [...ids], contactRoleCountQuery),
        ]
      : [null, null, null, null];
    const byOpp = <T extends { OpportunityId: string }>(rows: T[] | null): Map<string, T[]> | null => {
      if (!rows) return null;
      const m = new Map<string, T[]>();
      for (const r of rows)
        if (ids.has(r.OpportunityId)) (m.get(r.OpportunityId) ?? m.set(r.OpportunityId, []).get(r.OpportunityId)!).push(r);
      return m;
    };
    const counts = (rows: CountRow[] | null, key: 'WhatId' | 'OpportunityId'): Map<string, number> | null =>
      rows ? new Map(rows.map((r) => [String(r[key]), Number(r.n)])) : null;
    const hist = byOpp(history);
    const fhist = byOpp(fieldHistory);
    const taskCounts = counts(tasks, 'WhatId');
    const roleCounts = counts(roles, 'OpportunityId');
    for (const r of records) {
      const facts: HistoryFacts = {
        history: hist ? (hist.get(r.id) ?? []) : null,
        fieldHistory: fhist ? (fhist.get(r.id) ?? []) : null,
        openTaskCount: taskCounts ? (taskCounts.get(r.id) ?? 0) : null,
        contactRoleCount: roleCounts ? (roleCounts.get(r.id) ?? 0) : null,
      };
      const d = r.data;
      const employees = (d.Account as Record<string, unknown> | null | undefined)?.NumberOfEmployees ?? d[EMPLOYEES_PATH];
      r.data._derived = derive(
        { StageName: d.StageName, IsClosed: d.IsClosed, IsWon: d.IsWon, CloseDate: d.CloseDate, employees },
        facts,
        stages,
      );
    }
  }

  private async stageMap(): Promise<StageMap | null> {
    if (this.stages !== undefined) return this.stages;
    this.stages = null;
    let rows = await this.rows<StageRow>('stages', stageQuery(true), { quiet: true });
    if (!rows) {
      // OpportunityStage.ApiName is missing in older API versions: try with labels only.
      this.off.delete('stages');
      rows = await this.rows<StageRow>('stages', stageQuery(false));
    }
    this.stages = rows ? buildStageMap(rows) : null;
    return this.stages;
  }

  /** One aggregate query per chunk of ids; null when the source is off (or goes off midway). */
  private async countRows(source: Source, ids: readonly string[], build: (chunk: readonly string[]) => string): Promise<CountRow[] | null> {
    const out: CountRow[] = [];
    for (const chunk of chunkForUri(ids, AGGREGATE_IDS_MAX, build)) {
      const rows = await this.rows<CountRow>(source, build(chunk));
      if (!rows) return null;
      out.push(...rows);
    }
    return out;
  }

  private async openTasks(ids: readonly string[]): Promise<CountRow[] | null> {
    if (this.off.has('tasks')) return null;
    const out: CountRow[] = [];
    for (const chunk of chunkForUri(ids, AGGREGATE_IDS_MAX, (c) => openTaskCountQuery(c, this.taskKeyField))) {
      const rows = await this.openTaskChunk(chunk);
      if (!rows) return null;
      out.push(...rows);
    }
    return out;
  }

  private async openTaskChunk(ids: readonly string[]): Promise<CountRow[] | null> {
    try {
      return await this.api.queryRows<CountRow>(openTaskCountQuery(ids, this.taskKeyField));
    } catch (e) {
      // Before setup the key field does not exist, and then none of our tasks can either.
      if (this.taskKeyField && e instanceof AppError && e.details.sfCode === 'INVALID_FIELD' && e.message.includes(this.taskKeyField)) {
        this.taskKeyField = null;
        return this.openTaskChunk(ids);
      }
      return this.skip('tasks', e);
    }
  }

  private async rows<T>(source: Source, soql: string, opts: { quiet?: boolean } = {}): Promise<T[] | null> {
    if (this.off.has(source)) return null;
    try {
      return await this.api.queryRows<T>(soql);
    } catch (e) {
      return this.skip(source, e, opts.quiet);
    }
  }

  private skip(source: Source, e: unknown, quiet = false): null {
    if (!(e instanceof AppError)) throw e;
    const code = String(e.details.sfCode ?? '');
    if (UNAVAILABLE.has(code)) {
      this.off.add(source);
      if (!quiet) this.warn(`skipped ${LABELS[source]}: ${code} (${e.message.split('\n').pop()?.slice(0, 160)})`);
      return null;
    }
    if (e.code === 'crm_unavailable' && code === 'QUERY_TIMEOUT') {
      // Large history tables time out now and then: this page goes without, the next may not.
      this.log.warn('salesforce history query timed out', { source });
      this.warn(`${LABELS[source]} timed out for one page; its values are unknown for those deals this run`);
      return null;
    }
    throw e;
  }
}
