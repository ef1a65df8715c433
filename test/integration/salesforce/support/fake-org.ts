import nock from 'nock';
import { anOpportunity, describeOpportunity, INSTANCE, sfDateTime, sfHeaders, V } from '../helpers.ts';

/**
 * A nock-backed Salesforce org that answers the connector's own requests the way the REST,
 * Bulk 2.0 and sObject Collections APIs do (2,000-row pages with nextRecordsUrl, queryAll
 * with IsDeleted rows, aggregate results, per-record save results, Sforce-Limit-Info and
 * Sforce-Locator headers). It recognises the connector's query shapes rather than parsing
 * SOQL in general; records carry every field whatever the select list asks for.
 */
export interface FakeOrgOptions {
  opportunities: number;
  /** SystemModstamps are spread evenly over this window, ending at `now`. */
  changedWithinMs: number;
  now?: number;
  historyRowsPerOpportunity?: number;
  dailyLimit?: number;
}

type Row = Record<string, unknown> & { Id: string; SystemModstamp: string };

const PAGE = 2000;

/** `query Opportunity`, `query OpportunityHistory`, `COUNT() Opportunity`, ... */
function queryLabel(q: string): string {
  const obj = /FROM (\w+)/.exec(q)?.[1] ?? '?';
  return q.startsWith('SELECT COUNT()') ? `COUNT() ${obj}` : `query ${obj}`;
}

export class FakeOrg {
  readonly opps: Row[];
  readonly calls: Record<string, number> = {};
  readonly tasks = new Map<
    string,
    { Id: string; IsClosed: boolean; IsDeleted: boolean; WhatId: string; SystemModstamp: string; CompletedDateTime: string | null }
  >();
  private readonly cursors = new Map<string, { rows: unknown[]; object: string }>();
  private used = 0;
  private nextLocator = 1;
  private readonly scope: nock.Scope;

  constructor(private readonly o: FakeOrgOptions) {
    const now = o.now ?? Date.parse('2026-05-02T10:00:00Z');
    this.opps = Array.from({ length: o.opportunities }, (_, i) => {
      const stamp = new Date(now - o.changedWithinMs + Math.floor(((i + 1) * o.changedWithinMs) / o.opportunities));
      return anOpportunity({ Id: `006FK${String(i).padStart(13, '0')}`, SystemModstamp: sfDateTime(stamp) }) as Row;
    });
    this.scope = nock(INSTANCE).persist();
    this.scope.get(/\/services\/data\/v66\.0\/(query|queryAll)(\?.*)?$/).reply((req) => {
      const url = new URL(req.url);
      return this.answer(queryLabel(url.searchParams.get('q')!), () => this.query(url));
    });
    this.scope.get(/\/services\/data\/v66\.0\/query\/01gFAKE.*/).reply((req) => {
      const url = new URL(req.url);
      return this.answer(`queryMore ${this.cursors.get(url.pathname.split('/').pop()!)!.object}`, () => this.more(url));
    });
    this.scope.get(`${V}/sobjects/Opportunity/describe`).reply(() => this.answer('describe', () => describeOpportunity()));
    this.scope
      .patch(`${V}/composite/sobjects`)
      .reply(async (req) => this.answer('update collection', async () => this.update((await req.json()) as { records: Row[] })));
    this.scope
      .post(`${V}/composite/sobjects`)
      .reply(async (req) =>
        this.answer('create collection', async () => this.create((await req.json()) as { records: Array<Record<string, string>> })),
      );
    this.scope.post(`${V}/jobs/query`).reply(() => this.answer('bulk create job', () => ({ id: '750FAKEJOB', state: 'UploadComplete' })));
    this.scope
      .get(`${V}/jobs/query/750FAKEJOB`)
      .reply(() => this.answer('bulk job status', () => ({ id: '750FAKEJOB', state: 'JobComplete' })));
    this.scope.get(/\/jobs\/query\/750FAKEJOB\/results.*/).reply((req) => this.bulkResults(new URL(req.url)));
  }

  stop(): void {
    this.scope.persist(false);
    nock.cleanAll();
  }

  get totalCalls(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  private async answer(op: string, body: () => unknown): Promise<[number, unknown, Record<string, string>]> {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
    this.used++;
    return [200, await body(), sfHeaders(this.used, this.o.dailyLimit ?? 5_000_000)];
  }

  private page(rows: unknown[], object: string, offset = 0) {
    const slice = rows.slice(offset, offset + PAGE);
    if (offset + PAGE >= rows.length) return { totalSize: rows.length, done: true, records: slice };
    const locator = `01gFAKE${this.nextLocator++}-${offset + PAGE}`;
    this.cursors.set(locator, { rows, object });
    return { totalSize: rows.length, done: false, nextRecordsUrl: `${V}/query/${locator}`, records: slice };
  }

  private more(url: URL) {
    const locator = url.pathname.split('/').pop()!;
    const { rows, object } = this.cursors.get(locator)!;
    return this.page(rows, object, Number(locator.split('-').pop()));
  }

  private query(url: URL) {
    const q = url.searchParams.get('q')!;
    const obj = /FROM (\w+)/.exec(q)![1]!;
    const page = (rows: unknown[]) => this.page(rows, obj);
    if (q === 'SELECT COUNT() FROM Opportunity') return { totalSize: this.opps.length, done: true, records: [] };
    if (q.includes('FROM OpportunityStage'))
      return page([
        { ApiName: 'Negotiation/Review', MasterLabel: 'Negotiation/Review', IsClosed: false, IsWon: false, SortOrder: 1, IsActive: true },
      ]);
    if (q.includes('FROM Task WHERE Risk_Task_Key__c != null AND SystemModstamp >= ')) {
      const since = Date.parse(/SystemModstamp >= (\S+)/.exec(q)![1]!);
      return page([...this.tasks.values()].filter((t) => Date.parse(t.SystemModstamp.replace('+0000', 'Z')) >= since));
    }
    if (q.includes('FROM Task WHERE Risk_Task_Key__c IN')) {
      const keys = [...q.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
      return page(keys.filter((k) => this.tasks.has(k)).map((k) => ({ ...this.tasks.get(k)!, Risk_Task_Key__c: k })));
    }
    const scoped = this.scoped(q);
    if (q.includes('FROM OpportunityHistory')) {
      const n = this.o.historyRowsPerOpportunity ?? 3;
      return page(
        scoped.flatMap((o) =>
          Array.from({ length: n }, (_, k) => ({
            OpportunityId: o.Id,
            StageName: 'Negotiation/Review',
            CloseDate: `2026-06-${String(10 + k).padStart(2, '0')}`,
            CreatedDate: `2026-0${1 + k}-01T00:00:00.000+0000`,
          })),
        ),
      );
    }
    if (q.includes('FROM OpportunityFieldHistory')) return page([]);
    if (q.includes('FROM Task WHERE WhatId')) return page(scoped.map((o) => ({ WhatId: o.Id, n: 1 })));
    if (q.includes('FROM OpportunityContactRole')) return page(scoped.map((o) => ({ OpportunityId: o.Id, n: 2 })));
    if (q.startsWith('SELECT Id, OwnerId FROM Opportunity WHERE Id IN')) return page(scoped);
    const since = /SystemModstamp >= (\S+)/.exec(q)?.[1];
    const rows = since ? this.opps.filter((o) => Date.parse(o.SystemModstamp.replace('+0000', 'Z')) >= Date.parse(since)) : this.opps;
    return page(rows);
  }

  /** Opportunities a related-object query is restricted to (id list or a semi-join range). */
  private scoped(q: string): Row[] {
    const range = /SystemModstamp >= (\S+) AND SystemModstamp < (\S+)\)/.exec(q);
    if (range) {
      const [from, to] = [Date.parse(range[1]!), Date.parse(range[2]!)];
      return this.opps.filter((o) => {
        const t = Date.parse(o.SystemModstamp.replace('+0000', 'Z'));
        return t >= from && t < to;
      });
    }
    const idRange = /Id >= '([^']+)' AND Id <= '([^']+)'/.exec(q);
    if (idRange) return this.opps.filter((o) => o.Id >= idRange[1]! && o.Id <= idRange[2]!);
    const ids = new Set([...q.matchAll(/'(006[^']+)'/g)].map((m) => m[1]!));
    return this.opps.filter((o) => ids.has(o.Id));
  }

  /** Reps complete the first `n` tasks created, at `at` (their modstamp moves with it). */
  completeTasks(n: number, at: Date): void {
    for (const t of [...this.tasks.values()].slice(0, n)) {
      t.IsClosed = true;
      t.CompletedDateTime = sfDateTime(at);
      t.SystemModstamp = sfDateTime(at);
    }
  }

  private update(body: { records: Row[] }) {
    return body.records.map((r) => ({ id: r.id, success: true, errors: [] }));
  }

  private create(body: { records: Array<Record<string, string>> }) {
    return body.records.map((r) => {
      const Id = `00TFK${String(this.tasks.size).padStart(13, '0')}`;
      const stamp = sfDateTime(new Date(this.o.now ?? Date.parse('2026-05-02T10:00:00Z')));
      this.tasks.set(r.Risk_Task_Key__c!, {
        Id,
        IsClosed: false,
        IsDeleted: false,
        WhatId: r.WhatId!,
        SystemModstamp: stamp,
        CompletedDateTime: null,
      });
      return { id: Id, success: true, errors: [] };
    });
  }

  private bulkResults(url: URL): [number, string, Record<string, string>] {
    this.calls['bulk results'] = (this.calls['bulk results'] ?? 0) + 1;
    this.used++;
    const size = Number(url.searchParams.get('maxRecords'));
    const offset = Number(url.searchParams.get('locator') ?? 0);
    const rows = this.opps.slice(offset, offset + size);
    const cols = [
      'Id',
      'SystemModstamp',
      'IsClosed',
      'IsWon',
      'IsDeleted',
      'Name',
      'Amount',
      'StageName',
      'CloseDate',
      'OwnerId',
      'Account.Industry',
    ];
    const value = (r: Row, c: string) => c.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | null)?.[k], r);
    const csv = [
      cols.map((c) => `"${c}"`).join(','),
      ...rows.map((r) => cols.map((c) => `"${String(value(r, c) ?? '').replace('+0000', 'Z')}"`).join(',')),
    ].join('\n');
    const next = offset + size < this.opps.length ? String(offset + size) : 'null';
    return [
      200,
      `${csv}\n`,
      {
        'content-type': 'text/csv',
        'sforce-locator': next,
        'sforce-limit-info': `api-usage=${this.used}/${this.o.dailyLimit ?? 5_000_000}`,
      },
    ];
  }
}
