import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { SF_PREFIX, sfId } from '../ids.ts';
import type { QueryAnswer } from '../soql/evaluate.ts';
import { sfDateTime } from '../soql/format.ts';
import { parseSoql, SoqlError } from '../soql/parse.ts';
import type { Row } from '../soql/schema.ts';
import { notFound, sfError } from './errors.ts';
import type { SfQuery } from './query.ts';

interface Job {
  id: string;
  operation: 'query' | 'queryAll';
  object: string;
  createdAt: number;
  readyAt: number;
  state: 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Aborted' | 'Failed';
  rows: Row[];
  render: QueryAnswer['render'];
  columns: string[][];
  header: string[];
  lineEnding: 'LF' | 'CRLF';
  delimiter: string;
}

const DELIMITERS: Record<string, string> = { COMMA: ',', TAB: '\t', SEMICOLON: ';', PIPE: '|', CARET: '^', BACKQUOTE: '`' };
const DEFAULT_PAGE = 50_000;

function walk(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return null;
    const key = Object.keys(cur).find((k) => k.toLowerCase() === p.toLowerCase());
    cur = key ? (cur as Record<string, unknown>)[key] : null;
  }
  return cur ?? null;
}

/** Bulk API 2.0 query jobs: create, poll, CSV results paged by Sforce-Locator. */
export class SfBulk2 {
  private readonly jobs = new Map<string, Job>();
  private seq = 0;
  jobsToday = 0;

  constructor(
    private readonly query: SfQuery,
    private readonly userId: string,
    /** How long (wall ms) a job stays InProgress before it completes. */
    private readonly processingMs: number,
  ) {}

  private info(j: Job, version: string) {
    if (j.state !== 'Aborted' && j.state !== 'Failed') j.state = Date.now() >= j.readyAt ? 'JobComplete' : 'InProgress';
    const done = j.state === 'JobComplete';
    return {
      id: j.id,
      operation: j.operation,
      object: j.object,
      createdById: this.userId,
      createdDate: sfDateTime(j.createdAt),
      systemModstamp: sfDateTime(done ? Math.max(j.createdAt, j.readyAt) : j.createdAt),
      state: j.state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(version),
      jobType: 'V2Query',
      lineEnding: j.lineEnding,
      columnDelimiter: Object.keys(DELIMITERS).find((k) => DELIMITERS[k] === j.delimiter) ?? 'COMMA',
      numberRecordsProcessed: done ? j.rows.length : 0,
      retries: 0,
      totalProcessingTime: done ? Math.max(0, j.readyAt - j.createdAt) : 0,
      isPkChunkingSupported: true,
    };
  }

  create(req: SbRequest, version: string): SbResponse {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const operation = body.operation === 'queryAll' ? 'queryAll' : body.operation === 'query' ? 'query' : null;
    if (!operation || typeof body.query !== 'string') return sfError(400, 'INVALIDJOB', 'InvalidJob : operation and query are required');
    let answer: QueryAnswer;
    let columns: string[][];
    let header: string[];
    try {
      const parsed = parseSoql(body.query);
      if (parsed.select.some((s) => s.kind !== 'field'))
        return sfError(400, 'INVALIDJOB', 'InvalidJob : Bulk API 2.0 does not support nested queries or aggregate functions');
      answer = this.query.run(body.query, operation === 'queryAll');
      columns = parsed.select.map((s) => (s.kind === 'field' ? s.path : []));
      header = columns.map((p) => p.join('.'));
    } catch (e) {
      if (e instanceof SoqlError) return sfError(400, 'INVALIDJOB', `InvalidJob : ${e.message}`);
      throw e;
    }
    const now = Date.now();
    const job: Job = {
      id: sfId(SF_PREFIX.BulkJob, ++this.seq),
      operation,
      object: answer.object.name,
      createdAt: now,
      readyAt: now + this.processingMs,
      state: 'UploadComplete',
      rows: answer.rows,
      render: answer.render,
      columns,
      header,
      lineEnding: body.lineEnding === 'CRLF' ? 'CRLF' : 'LF',
      delimiter: DELIMITERS[String(body.columnDelimiter ?? 'COMMA')] ?? ',',
    };
    this.jobs.set(job.id, job);
    this.jobsToday++;
    const info = this.info(job, version);
    return json(200, { ...info, state: 'UploadComplete' });
  }

  get(id: string, version: string): SbResponse {
    const j = this.jobs.get(id);
    return j ? json(200, this.info(j, version)) : notFound();
  }

  list(version: string): SbResponse {
    return json(200, { done: true, records: [...this.jobs.values()].map((j) => this.info(j, version)), nextRecordsUrl: null });
  }

  abort(id: string, req: SbRequest, version: string): SbResponse {
    const j = this.jobs.get(id);
    if (!j) return notFound();
    if ((req.body as Record<string, unknown> | undefined)?.state !== 'Aborted')
      return sfError(400, 'INVALIDJOB', 'InvalidJob : only Aborted is accepted');
    j.state = 'Aborted';
    return json(200, this.info(j, version));
  }

  remove(id: string): SbResponse {
    return this.jobs.delete(id) ? { status: 204 } : notFound();
  }

  results(id: string, req: SbRequest, version: string): SbResponse {
    const j = this.jobs.get(id);
    if (!j) return notFound();
    if (this.info(j, version).state !== 'JobComplete') return sfError(400, 'INVALIDJOB', 'InvalidJob : job is not complete');
    const from = Number(req.query.get('locator') ? Buffer.from(req.query.get('locator')!, 'base64url').toString() : '0') || 0;
    const max = Math.max(1, Number(req.query.get('maxRecords') ?? DEFAULT_PAGE) || DEFAULT_PAGE);
    const to = Math.min(j.rows.length, from + max);
    const eol = j.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const quote = (v: unknown) => `"${(v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)).replace(/"/g, '""')}"`;
    const lines = [j.header.map((h) => `"${h}"`).join(j.delimiter)];
    for (let i = from; i < to; i++) {
      const rendered = j.render(j.rows[i]!, version);
      lines.push(j.columns.map((p) => quote(walk(rendered, p))).join(j.delimiter));
    }
    const next = to < j.rows.length ? Buffer.from(String(to)).toString('base64url') : 'null';
    return {
      status: 200,
      text: lines.join(eol) + eol,
      contentType: 'text/csv',
      headers: { 'Sforce-Locator': next, 'Sforce-NumberOfRecords': String(to - from) },
    };
  }
}
