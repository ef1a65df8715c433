import { readFileSync } from 'node:fs';
import nock from 'nock';
import { anOpportunity, describeOpportunity, INSTANCE, LOGIN, sfDateTime, sfError, sfId, V } from '../../integration/salesforce/helpers.ts';

/**
 * A nock-backed Salesforce org for the connector contract: the REST query API (query, queryAll
 * with IsDeleted rows, queryMore through nextRecordsUrl in batches of 2,000), sObject
 * Collections (per-record save results, allOrNone=false), describe, and the OAuth token
 * endpoint. It recognises the connector's own query shapes (connectors/salesforce/soql.ts, the
 * real-time reads by id and change poll included) and
 * answers anything else 400 MALFORMED_QUERY, so a new query is noticed rather than guessed at.
 * Opportunities copy the recorded ones (../shared/contracts/salesforce/.../opportunities.test.json),
 * and their SystemModstamps come in threes, as a mass update leaves them, so the keyset's Id
 * tie-break is exercised at page boundaries.
 */

const RECORDED = new URL('../../../../shared/contracts/salesforce/samples-nango-recorded/opportunities.test.json', import.meta.url);
const recordedOpportunities = (
  JSON.parse(readFileSync(RECORDED, 'utf8')) as {
    api: { get: Record<string, { response: { records: Array<Record<string, unknown>> } }> };
  }
).api.get['/services/data/v59.0/query']!.response.records;

/** Salesforce's REST query batch: 2,000 rows by default and at most. */
const BATCH = 2000;
/** The recorded org's daily allocation (Sforce-Limit-Info: api-usage=900/15000). */
const DAILY_LIMIT = 15_000;

/** The standard sales process of a new org. */
const STAGES = [
  ['Prospecting', false, false],
  ['Qualification', false, false],
  ['Needs Analysis', false, false],
  ['Value Proposition', false, false],
  ['Id. Decision Makers', false, false],
  ['Perception Analysis', false, false],
  ['Proposal/Price Quote', false, false],
  ['Negotiation/Review', false, false],
  ['Closed Won', true, true],
  ['Closed Lost', true, false],
] as const;

type Row = Record<string, unknown> & { Id: string; SystemModstamp: string; IsDeleted: boolean };
interface TaskRow {
  Id: string;
  WhatId: string;
  IsClosed: boolean;
  IsDeleted: boolean;
  Status: string;
  key: string;
}
type Reply = [number, unknown, Record<string, string>];

const stampMs = (s: string): number => Date.parse(s.replace('+0000', 'Z'));
const literalDate = (s: string): number => Date.parse(s);

export class FakeSalesforceOrg {
  readonly opps = new Map<string, Row>();
  readonly tasks: TaskRow[] = [];
  /** Opportunities a validation rule refuses risk writes for. */
  readonly refused = new Set<string>();
  mode: 'ok' | 'revoked' | 'exhausted' = 'ok';
  /** Business time, whole seconds (SystemModstamp has no milliseconds). */
  now: number;
  private readonly keyField: string;
  private used = 900;
  private locators = new Map<string, Row[]>();
  private seq = 0;

  constructor(o: { opportunities: number; now: number; keyField: string }) {
    this.now = Math.floor(o.now / 1000) * 1000;
    this.keyField = o.keyField;
    const start = this.now - 30 * 86_400_000;
    for (let i = 0; i < o.opportunities; i++) this.put({ SystemModstamp: sfDateTime(new Date(start + Math.floor(i / 3) * 60_000)) });
    this.install();
  }

  /** A rep creates an open opportunity now; returns its id. */
  add(): string {
    const now = sfDateTime(new Date(this.now));
    return this.put({
      StageName: 'Prospecting',
      IsClosed: false,
      IsWon: false,
      CloseDate: '2027-03-31',
      CreatedDate: now,
      SystemModstamp: now,
    });
  }

  /** An opportunity like the recorded ones (their names, amounts, stages, close dates), with overrides. */
  private put(overrides: Record<string, unknown>): string {
    const i = this.opps.size;
    const rec = recordedOpportunities[i % recordedOpportunities.length]!;
    const stage = STAGES.find((s) => s[0] === rec.StageName) ?? STAGES[7];
    const row = anOpportunity({
      Id: sfId('006', i + 1),
      Name: `${rec.Name} ${i + 1}`,
      Amount: rec.Amount,
      StageName: stage[0],
      IsClosed: stage[1],
      IsWon: stage[2],
      CloseDate: rec.CloseDate,
      ...overrides,
    }) as Row;
    this.opps.set(row.Id, row);
    return row.Id;
  }

  /** A person's edit or delete: Salesforce stamps SystemModstamp with the time of the change. */
  touch(id: string, values: Record<string, unknown>): void {
    const row = this.opps.get(id);
    if (!row) throw new Error(`the fake org has no opportunity ${id}`);
    Object.assign(row, values, { SystemModstamp: sfDateTime(new Date(this.now)) });
  }

  private headers(): Record<string, string> {
    return {
      'content-type': 'application/json;charset=UTF-8',
      'sforce-limit-info': `api-usage=${this.used}/${DAILY_LIMIT}`,
      date: new Date(this.now).toUTCString(),
    };
  }

  /** Every data-API call: counted, and refused as Salesforce refuses it once revoked or over the allocation. */
  private answer(body: () => unknown): Reply {
    if (this.mode === 'revoked') return [401, sfError('INVALID_SESSION_ID', 'Session expired or invalid'), this.headers()];
    if (this.mode === 'exhausted') {
      this.used = DAILY_LIMIT + 1;
      return [403, sfError('REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), this.headers()];
    }
    this.used++;
    try {
      return [200, body(), this.headers()];
    } catch (e) {
      return [400, sfError('MALFORMED_QUERY', (e as Error).message), this.headers()];
    }
  }

  private install(): void {
    const data = nock(INSTANCE).persist();
    data.get(/^\/services\/data\/v66\.0\/(query|queryAll)\?/).reply((req) => {
      const url = new URL((req as unknown as Request).url);
      return this.answer(() => this.query(url.searchParams.get('q')!, url.pathname.endsWith('queryAll')));
    });
    data.get(/^\/services\/data\/v66\.0\/query\/01g[A-Za-z0-9]+-\d+$/).reply((req) => {
      const locator = new URL((req as unknown as Request).url).pathname.split('/').pop()!;
      return this.answer(() => this.more(locator));
    });
    data.get(`${V}/sobjects/Opportunity/describe`).reply(() => this.answer(() => describeOpportunity()));
    data.patch(`${V}/composite/sobjects`).reply(async (req) => {
      const body = (await (req as unknown as Request).json()) as { records: Array<Record<string, unknown>> };
      return this.answer(() => body.records.map((r) => this.update(r)));
    });
    data.post(`${V}/composite/sobjects`).reply(async (req) => {
      const body = (await (req as unknown as Request).json()) as { records: Array<Record<string, unknown>> };
      return this.answer(() => body.records.map((r) => this.create(r)));
    });
    let token = 1;
    nock(LOGIN)
      .persist()
      .post('/services/oauth2/token')
      .reply(() =>
        this.mode === 'revoked'
          ? [400, { error: 'invalid_grant', error_description: 'expired access/refresh token' }]
          : [
              200,
              {
                access_token: `00Dxx0000001gPF!AQ4AQ.refreshed-${++token}`,
                instance_url: INSTANCE,
                id: `${LOGIN}/id/00Dxx0000001gPFEAY/005xx000001X8UzAAK`,
                token_type: 'Bearer',
                issued_at: String(this.now),
                signature: 'c2lnbmF0dXJl',
              },
            ],
      );
  }

  stop(): void {
    nock.cleanAll();
  }

  private page(rows: Row[] | Array<Record<string, unknown>>, offset = 0, locator?: string) {
    const slice = rows.slice(offset, offset + BATCH);
    if (offset + BATCH >= rows.length) {
      if (locator) this.locators.delete(locator);
      return { totalSize: rows.length, done: true, records: slice };
    }
    const id = locator ?? `01gFAKE${String(++this.seq).padStart(11, '0')}`;
    this.locators.set(id, rows as Row[]);
    return { totalSize: rows.length, done: false, nextRecordsUrl: `${V}/query/${id}-${offset + BATCH}`, records: slice };
  }

  private more(locatorPart: string) {
    const [id, offset] = locatorPart.split('-') as [string, string];
    const rows = this.locators.get(id);
    if (!rows) throw new Error('invalid query locator');
    return this.page(rows, Number(offset), id);
  }

  private live(all: boolean): Row[] {
    return [...this.opps.values()].filter((r) => all || !r.IsDeleted);
  }

  private query(q: string, all: boolean) {
    const empty = { totalSize: 0, done: true, records: [] };
    if (q === 'SELECT COUNT() FROM Opportunity') return { totalSize: this.live(false).length, done: true, records: [] };
    if (/^SELECT (ApiName, )?MasterLabel, IsClosed, IsWon, SortOrder, IsActive FROM OpportunityStage ORDER BY SortOrder ASC$/.test(q))
      return this.page(
        STAGES.map(([name, closed, won], i) => ({
          attributes: { type: 'OpportunityStage' },
          ...(q.includes('ApiName') ? { ApiName: name } : {}),
          MasterLabel: name,
          IsClosed: closed,
          IsWon: won,
          SortOrder: i + 1,
          IsActive: true,
        })),
      );
    // No stage history, tracked field changes, open tasks or contact roles in this org.
    if (/^SELECT OpportunityId, .* FROM Opportunity(Field)?History WHERE OpportunityId IN \(/.test(q)) return empty;
    if (/^SELECT (WhatId|OpportunityId), COUNT\(Id\) n FROM (Task|OpportunityContactRole) WHERE .* GROUP BY \1$/.test(q)) return empty;
    const byKey = new RegExp(
      `^SELECT Id, ${this.keyField}, WhatId, IsClosed, IsDeleted, Status FROM Task WHERE ${this.keyField} IN \\((.*)\\)$`,
    ).exec(q);
    if (byKey) {
      const keys = new Set([...byKey[1]!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1')));
      return this.page(
        this.tasks
          .filter((t) => keys.has(t.key) && (all || !t.IsDeleted))
          .map((t) => ({
            attributes: { type: 'Task' },
            Id: t.Id,
            [this.keyField]: t.key,
            WhatId: t.WhatId,
            IsClosed: t.IsClosed,
            IsDeleted: t.IsDeleted,
            Status: t.Status,
          })),
      );
    }
    const owners = /^SELECT Id, OwnerId FROM Opportunity WHERE Id IN \((.*)\)$/.exec(q);
    if (owners) {
      const ids = new Set([...owners[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
      return this.page(
        this.live(false)
          .filter((r) => ids.has(r.Id))
          .map((r) => ({ attributes: r.attributes, Id: r.Id, OwnerId: r.OwnerId })),
      );
    }
    // Real time (connectors/salesforce/soql.ts): named opportunities, and the change poll.
    const named = /^SELECT (.+) FROM Opportunity WHERE Id IN \((.*)\)$/.exec(q);
    if (named) {
      const ids = new Set([...named[2]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!));
      return this.page(
        this.live(all)
          .filter((r) => ids.has(r.Id))
          .map((r) => project(r, named[1]!.split(', '))),
      );
    }
    const latest = /^SELECT Id, SystemModstamp FROM Opportunity ORDER BY SystemModstamp DESC, Id DESC LIMIT 1$/.test(q);
    if (latest) return this.page(this.changes(['Id', 'SystemModstamp'], null, all).slice(-1));
    const polled =
      /^SELECT Id, SystemModstamp FROM Opportunity WHERE SystemModstamp (>=|>) (\S+) ORDER BY SystemModstamp ASC, Id ASC LIMIT (\d+)$/.exec(
        q,
      );
    if (polled) {
      const t = literalDate(polled[2]!);
      const keep = (r: Record<string, unknown>) =>
        polled[1] === '>' ? stampMs(String(r.SystemModstamp)) > t : stampMs(String(r.SystemModstamp)) >= t;
      return this.page(this.changes(['Id', 'SystemModstamp'], null, all).filter(keep).slice(0, Number(polled[3])));
    }
    const changes = /^SELECT (.+) FROM Opportunity(?: WHERE (.+))? ORDER BY SystemModstamp ASC, Id ASC$/.exec(q);
    if (changes) return this.page(this.changes(changes[1]!.split(', '), changes[2] ?? null, all));
    throw new Error(`unexpected token in a query this org does not know: ${q.slice(0, 200)}`);
  }

  /** The change query: `SystemModstamp >= t`, or the keyset `(SystemModstamp > t OR (SystemModstamp = t AND Id > 'x'))`. */
  private changes(select: string[], where: string | null, all: boolean): Array<Record<string, unknown>> {
    let keep: (r: Row) => boolean = () => true;
    if (where) {
      const since = /^SystemModstamp >= (\S+)$/.exec(where);
      const after = /^\(SystemModstamp > (\S+) OR \(SystemModstamp = (\S+) AND Id > '([^']+)'\)\)$/.exec(where);
      if (since) keep = (r) => stampMs(r.SystemModstamp) >= literalDate(since[1]!);
      else if (after && after[1] === after[2]) {
        const t = literalDate(after[1]!);
        keep = (r) => stampMs(r.SystemModstamp) > t || (stampMs(r.SystemModstamp) === t && r.Id > after[3]!);
      } else throw new Error(`unexpected WHERE clause: ${where}`);
    }
    return this.live(all)
      .filter(keep)
      .sort((a, b) => stampMs(a.SystemModstamp) - stampMs(b.SystemModstamp) || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0))
      .map((r) => project(r, select));
  }

  private update(r: Record<string, unknown>) {
    const id = String(r.Id ?? r.id ?? '');
    const row = this.opps.get(id);
    const fail = (statusCode: string, message: string) => ({
      ...(row ? { id } : {}),
      success: false,
      errors: [{ statusCode, message, fields: [] }],
    });
    if (!row) return fail('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
    if (row.IsDeleted) return fail('ENTITY_IS_DELETED', 'entity is deleted');
    if (this.refused.has(id)) return fail('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Closed Lost needs a loss reason');
    const { attributes: _a, Id: _i, ...values } = r;
    this.touch(id, values);
    return { id, success: true, errors: [] };
  }

  private create(r: Record<string, unknown>) {
    const key = String(r[this.keyField] ?? '');
    const dup = key ? this.tasks.find((t) => t.key === key) : undefined;
    if (dup)
      return {
        success: false,
        errors: [
          {
            statusCode: 'DUPLICATE_VALUE',
            message: `duplicate value found: ${this.keyField} duplicates value on record with id: ${dup.Id}`,
            fields: [this.keyField],
          },
        ],
      };
    const task: TaskRow = {
      Id: sfId('00T', this.tasks.length + 1),
      WhatId: String(r.WhatId),
      IsClosed: false,
      IsDeleted: false,
      Status: String(r.Status ?? 'Not Started'),
      key,
    };
    this.tasks.push(task);
    return { id: task.Id, success: true, errors: [] };
  }
}

/** Only the selected fields come back; a relationship path comes back as a nested record (or null). */
function project(row: Row, select: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = { attributes: row.attributes };
  for (const path of select) {
    const [head, ...rest] = path.split('.') as [string, ...string[]];
    if (!rest.length) {
      out[head] = row[head] ?? null;
      continue;
    }
    const parent = row[head] as Record<string, unknown> | null | undefined;
    if (!parent) {
      out[head] = null;
      continue;
    }
    const nested = (out[head] as Record<string, unknown> | undefined) ?? { attributes: parent.attributes };
    nested[rest.join('.')] = parent[rest.join('.')] ?? null;
    out[head] = nested;
  }
  return out;
}
