import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { SF_PREFIX, sfId } from '../ids.ts';
import { type QueryAnswer, runSoql, type SemiJoinMemo, soqlErrorMessage } from '../soql/evaluate.ts';
import { SoqlError } from '../soql/parse.ts';
import type { Row } from '../soql/schema.ts';
import { sfError } from './errors.ts';
import type { SalesforceOrg } from './org.ts';

/**
 * How many records a REST query batch carries (docs/crm-limits.md, "query batch size"). Salesforce
 * documents 2,000 as the default and the maximum, "lower than the max or what's set in the request,
 * based on the size and complexity of records queried", and at most 200 when two or more long text
 * fields are selected (SOQL reference, "Change the Batch Size in Queries"). The byte budgets are the
 * sandbox's own (the docs give no number): a batch stops before its records pass BATCH_BYTES of
 * JSON, and the first batch of a query before FIRST_BATCH_BYTES, so wide rows come back in smaller
 * batches and a client that counts on 2,000 a batch is caught.
 */
export const MAX_BATCH = 2000;
const LONG_TEXT_BATCH = 200;
const BATCH_BYTES = 4_000_000;
const FIRST_BATCH_BYTES = 2_000_000;
const MAX_OPEN_CURSORS = 50;
/**
 * GROUP BY results cannot use queryMore: past 2,000 rows Salesforce asks for smaller filters
 * (SOQL reference, "GROUP BY and queryMore()") and the REST API answers 400 with this body
 * (restforce/restforce#726).
 */
const AGGREGATE_ROWS_MAX = 2000;
/**
 * "Maximum length of SOQL statements: by default, 100,000 characters" (Salesforce limits cheat
 * sheet, SOQL and SOSL limits); the error text is Salesforce's (django-salesforce#164).
 */
const SOQL_MAX = 100_000;
const SOQL_TOO_LONG = `SOQL statements can not be longer than ${SOQL_MAX} characters`;
const AGGREGATE_TOO_LARGE = 'Aggregate query does not support queryMore(), use LIMIT to restrict the results to a single batch';

interface Cursor {
  rows: Row[];
  render: QueryAnswer['render'];
  batch: number;
  version: string;
}

/** REST query, queryAll and queryMore with server-side cursors (query locators). */
export class SfQuery {
  private readonly cursors = new Map<string, Cursor>();
  private seq = 0;
  /**
   * The connector sends the same semi-join (a page's opportunities) with four history queries
   * in a row: its ids are kept while the org's data stands still (same clock second, no writes).
   */
  private memo: { at: string; ids: SemiJoinMemo } = { at: '', ids: new Map() };

  constructor(private readonly org: SalesforceOrg) {}

  /** Runs SOQL; throws SoqlError for the caller to format. Used by REST and Bulk API 2.0. */
  run(soql: string, all: boolean): QueryAnswer {
    if (soql.length > SOQL_MAX) throw new SoqlError('MALFORMED_QUERY', SOQL_TOO_LONG, 1);
    const at = this.org.dataVersion();
    if (this.memo.at !== at || this.memo.ids.size >= 8) this.memo = { at, ids: new Map() };
    return runSoql(this.org, soql, { all, semiJoinMemo: this.memo.ids });
  }

  query(req: SbRequest, version: string, all: boolean): SbResponse {
    const soql = req.query.get('q');
    if (!soql) return sfError(400, 'MALFORMED_QUERY', "unexpected token: '<EOF>'");
    if (soql.length > SOQL_MAX) return sfError(400, 'MALFORMED_QUERY', SOQL_TOO_LONG);
    let answer: QueryAnswer;
    try {
      answer = this.run(soql, all);
    } catch (e) {
      if (e instanceof SoqlError) return sfError(400, e.code, soqlErrorMessage(soql, e));
      throw e;
    }
    if (answer.aggregate) {
      // An aggregate result is one batch or nothing (docs/crm-limits.md, "aggregate queries").
      if (answer.aggregate.length > AGGREGATE_ROWS_MAX) return sfError(400, 'EXCEEDED_ID_LIMIT', AGGREGATE_TOO_LARGE);
      return json(200, { totalSize: answer.totalSize, done: true, records: answer.aggregate });
    }
    const batch = Math.min(batchSize(req), answer.longTextColumns >= 2 ? LONG_TEXT_BATCH : MAX_BATCH);
    const cursor: Cursor = { rows: answer.rows, render: answer.render, batch, version };
    return json(200, this.page(cursor, null, 0));
  }

  private page(c: Cursor, locator: string | null, from: number) {
    const budget = from === 0 ? FIRST_BATCH_BYTES : BATCH_BYTES;
    const records: Array<Record<string, unknown>> = [];
    let bytes = 0;
    let to = from;
    while (to < c.rows.length && records.length < c.batch) {
      const record = c.render(c.rows[to]!, c.version);
      bytes += JSON.stringify(record).length;
      if (records.length && bytes > budget) break;
      records.push(record);
      to++;
    }
    const done = to >= c.rows.length;
    let next: string | undefined;
    if (!done) {
      const id = locator ?? this.open(c);
      next = `/services/data/v${c.version}/query/${id}-${to}`;
    } else if (locator) this.cursors.delete(locator);
    return { totalSize: c.rows.length, done, ...(next ? { nextRecordsUrl: next } : {}), records };
  }

  private open(c: Cursor): string {
    const id = sfId(SF_PREFIX.QueryLocator, ++this.seq);
    this.cursors.set(id, c);
    if (this.cursors.size > MAX_OPEN_CURSORS) this.cursors.delete(this.cursors.keys().next().value!);
    return id;
  }

  /** GET query/{locator}-{offset}. */
  more(locatorPart: string, version: string): SbResponse {
    const m = /^([A-Za-z0-9]+)-(\d+)$/.exec(locatorPart);
    const cursor = m ? this.cursors.get(m[1]!) : undefined;
    if (!m || !cursor) return sfError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return json(200, this.page({ ...cursor, version }, m[1]!, Number(m[2])));
  }
}

function batchSize(req: SbRequest): number {
  const opt = String(req.headers['sforce-query-options'] ?? '');
  const m = /batchSize=(\d+)/i.exec(opt);
  return m ? Math.max(200, Math.min(MAX_BATCH, Number(m[1]))) : MAX_BATCH;
}
