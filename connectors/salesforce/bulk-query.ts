import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../../src/core/errors.ts';
import type { FetchPage, RawRecord } from '../types.ts';
import type { CursorTracker } from './cursor.ts';
import type { FetchDeps } from './fetch-changes.ts';
import { fromBulkRow, toRawRecord } from './records.ts';
import { invalidFieldIn, opportunityQuery, SYSTEM_FIELDS, selectList } from './soql.ts';

export interface BulkOptions {
  /** First wait between job status checks; grows by half each time up to `maxPollIntervalMs`. */
  pollIntervalMs: number;
  maxPollIntervalMs: number;
  /** Give up waiting (the job keeps running in Salesforce) and fall back to REST. */
  timeoutMs: number;
  /** Rows per results request (Sforce-Locator pages). */
  resultPageSize: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Pages handed to the sync engine are no larger than a REST batch can be. */
const PAGE = 2000;

interface JobInfo {
  id: string;
  state: 'UploadComplete' | 'InProgress' | 'Aborted' | 'JobComplete' | 'Failed';
  errorMessage?: string;
}

const fallback = (message: string, cause?: unknown): AppError =>
  new AppError('crm_unavailable', message, { retryable: true, bulkFallback: true, cause });

/** Errors that must stop the run rather than fall back to REST. */
const isFatal = (e: unknown): boolean =>
  e instanceof AppError && ['crm_auth_revoked', 'crm_quota_exhausted', 'crm_auth_expired'].includes(e.code);

/**
 * First backfill of a large org with one Bulk API 2.0 query job: create, poll, then read the
 * CSV results page by page (Sforce-Locator). Bulk queries take no ORDER BY, so intermediate
 * pages carry a null cursor (a crash restarts the backfill) and the last page carries the
 * highest SystemModstamp seen. Rows are sorted by Id within a results page so each history
 * query can scope its page by an Id range.
 */
export async function* bulkBackfill(deps: FetchDeps, tracker: CursorTracker, signal?: AbortSignal): AsyncGenerator<FetchPage> {
  const { api, bulk } = deps;
  const job = await createJob(deps);
  await waitForJob(deps, job.id, signal);
  let locator: string | null = null;
  for (;;) {
    signal?.throwIfAborted();
    const url = `/jobs/query/${job.id}/results?maxRecords=${bulk.resultPageSize}${locator ? `&locator=${encodeURIComponent(locator)}` : ''}`;
    const rows = await api.call((c) =>
      c.request<Array<Record<string, string>> | string>({ method: 'GET', url, headers: { Accept: 'text/csv' } }),
    );
    const next = api.meter.lastHeaders['sforce-locator'];
    locator = typeof next === 'string' && next !== 'null' && next !== '' ? next : null;
    const records: RawRecord[] = (Array.isArray(rows) ? rows : []).map((r) => toRawRecord(fromBulkRow(r)));
    records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (let i = 0; i < records.length || (i === 0 && !locator); i += PAGE) {
      const chunk = records.slice(i, i + PAGE);
      await deps.enricher.enrich(chunk, 'id');
      for (const r of chunk) tracker.add(r.id, r.modifiedAt, false);
      const last = !locator && i + PAGE >= records.length;
      if (chunk.length || last) yield { records: chunk, deletedIds: [], cursor: last ? tracker.cursor() : null };
    }
    if (!locator) return;
  }
}

async function createJob(deps: FetchDeps): Promise<JobInfo> {
  let fields = selectList(deps.paths);
  for (;;) {
    try {
      const query = opportunityQuery({ fields, since: null, ordered: false });
      const body = JSON.stringify({ operation: 'query', query, contentType: 'CSV', columnDelimiter: 'COMMA', lineEnding: 'LF' });
      return await deps.api.call((c) =>
        c.request<JobInfo>({ method: 'POST', url: '/jobs/query', body, headers: { 'content-type': 'application/json; charset=utf-8' } }),
      );
    } catch (e) {
      if (isFatal(e)) throw e;
      const field = e instanceof AppError && e.details.sfCode === 'INVALID_FIELD' ? invalidFieldIn(e.message, fields) : null;
      if (field && !(SYSTEM_FIELDS as readonly string[]).includes(field)) {
        fields = fields.filter((f) => f !== field);
        deps.warn(`Salesforce Opportunity query: dropped ${field} (INVALID_FIELD: not in this org or hidden by field-level security)`);
        continue;
      }
      throw fallback(`could not create the Bulk API 2.0 query job: ${(e as Error).message}`, e);
    }
  }
}

async function waitForJob(deps: FetchDeps, id: string, signal?: AbortSignal): Promise<void> {
  const { bulk } = deps;
  const sleep = bulk.sleep ?? ((ms: number) => delay(ms, undefined, { signal }));
  let waited = 0;
  let interval = bulk.pollIntervalMs;
  for (;;) {
    let info: JobInfo;
    try {
      info = await deps.api.call((c) => c.request<JobInfo>({ method: 'GET', url: `/jobs/query/${id}` }));
    } catch (e) {
      if (isFatal(e)) throw e;
      throw fallback(`could not read Bulk API 2.0 job ${id}: ${(e as Error).message}`, e);
    }
    if (info.state === 'JobComplete') return;
    if (info.state === 'Failed' || info.state === 'Aborted') {
      throw fallback(`Bulk API 2.0 job ${id} ${info.state.toLowerCase()}${info.errorMessage ? `: ${info.errorMessage}` : ''}`);
    }
    if (waited >= bulk.timeoutMs) throw fallback(`Bulk API 2.0 job ${id} still ${info.state} after ${Math.round(waited / 1000)} s`);
    await sleep(interval);
    waited += interval;
    interval = Math.min(Math.round(interval * 1.5), bulk.maxPollIntervalMs);
  }
}
