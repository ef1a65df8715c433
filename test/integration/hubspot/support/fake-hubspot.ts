import { readFileSync } from 'node:fs';
import nock from 'nock';

/**
 * A nock-backed HubSpot portal for the connector's integration tests and benchmark: the real
 * @hubspot/api-client talks HTTP to it. Response bodies copy the recorded payloads in
 * ../shared/contracts/hubspot (all-string properties, paging.next.after, 207 batch errors).
 */
export const CONTRACTS = new URL('../../../../../shared/contracts/hubspot/samples-nango-recorded/', import.meta.url);

export function recorded(file: string, method: string, path: string): { response: unknown; request?: unknown } {
  const doc = JSON.parse(readFileSync(new URL(file, CONTRACTS), 'utf8')) as {
    api: Record<string, Record<string, { response: unknown; request?: unknown }>>;
  };
  const hit = doc.api[method]?.[path];
  if (!hit) throw new Error(`${file} has no ${method} ${path}`);
  return hit;
}

export interface FakeDeal {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  archivedAt?: string;
  history?: { dealstage?: Array<{ value: string; timestamp: string }>; closedate?: Array<{ value: string; timestamp: string }> };
  companyId?: string;
}

export interface FakeTask {
  id: string;
  properties: Record<string, string | null>;
  dealId: string | null;
}

export interface RequestLog {
  method: string;
  path: string;
  body: unknown;
}

/** A deal shaped like the recorded list-deals results; builder with overrides. */
export function aDeal(n: number, overrides: Partial<FakeDeal> & { props?: Record<string, string | null> } = {}): FakeDeal {
  const id = String(479475667160 + n);
  const created = new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();
  return {
    id,
    createdAt: created,
    properties: {
      hs_object_id: id,
      dealname: `Deal ${n}`,
      amount: String(1000 + (n % 50) * 100),
      dealstage: 'qualifiedtobuy',
      pipeline: 'default',
      closedate: '2026-12-31T00:00:00Z',
      createdate: created,
      hs_lastmodifieddate: new Date(Date.UTC(2026, 2, 1) + n * 1000).toISOString(),
      hubspot_owner_id: '88842095',
      dealtype: 'newbusiness',
      hs_analytics_source: 'ORGANIC_SEARCH',
      num_associated_contacts: '2',
      num_contacted_notes: '3',
      notes_last_contacted: '2026-02-20T10:00:00.000Z',
      hs_deal_stage_probability: '0.40000000000000002220446049250313080847263336181640625',
      hs_is_closed: 'false',
      hs_is_closed_won: 'false',
      ...overrides.props,
    },
    ...overrides,
  };
}

export interface FakeOptions {
  base?: string;
  deals?: FakeDeal[];
  companies?: Record<string, Record<string, string | null>>;
  tasks?: FakeTask[];
  /** Deal ids the batch update refuses (207 per-record error, VALIDATION_ERROR). */
  rejectIds?: Set<string>;
  /** Respond to batch updates in the 2026-09 shape (200 with errors[]) instead of v3's 207. */
  datedBatchErrors?: boolean;
  /** The clock the fake stamps hs_lastmodifieddate with on writes. */
  now?: () => Date;
  /** Rate-limit headers on every non-search response. */
  rateHeaders?: boolean;
  /** Associations per source object in one batch-read answer before `paging.next.after` (default 500). */
  associationPageSize?: number;
  /** The install lacks crm.objects.owners.read: the owners API answers 403 MISSING_SCOPES. */
  ownersDenied?: boolean;
}

const num = (id: string): bigint => BigInt(id);

/** HubSpot's 400 for a batch read past 50 inputs with history (any `propertiesWithHistory` field counts here). */
function historyLimit(b: { inputs: unknown[]; propertiesWithHistory?: unknown }): [number, unknown] | null {
  if (!Array.isArray(b.propertiesWithHistory) || b.inputs.length <= 50) return null;
  return [
    400,
    {
      status: 'error',
      message:
        'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again',
      correlationId: 'c0ffee00-0000-4000-8000-000000000050',
      category: 'VALIDATION_ERROR',
    },
  ];
}

type Handler = (uri: string, body: unknown) => [number, unknown, Record<string, string>?];

/** nock 15 hands reply functions a fetch Request; our handlers want the path and the parsed JSON body. */
function route(fn: Handler): (req: Request) => Promise<[number, unknown, Record<string, string>?]> {
  return async (req) => {
    const u = new URL(req.url);
    const text = await req.text();
    return fn(u.pathname + u.search, text ? JSON.parse(text) : null);
  };
}

export class FakeHubSpot {
  readonly base: string;
  readonly deals = new Map<string, FakeDeal>();
  readonly tasks: FakeTask[];
  readonly log: RequestLog[] = [];
  /** Largest `after + limit` a search asked for: the 10,000 cap says it must stay ≤ 10,000. */
  maxSearchDepth = 0;
  private nextTaskId = 900000000;
  private scope: nock.Scope;

  constructor(private readonly o: FakeOptions = {}) {
    this.base = o.base ?? 'https://api.hubapi.com';
    for (const d of o.deals ?? []) this.deals.set(d.id, d);
    this.tasks = o.tasks ?? [];
    this.scope = nock(this.base).persist();
    this.install();
  }

  count(path: string | RegExp, method?: string): number {
    return this.log.filter(
      (r) => (method ? r.method === method : true) && (typeof path === 'string' ? r.path.startsWith(path) : path.test(r.path)),
    ).length;
  }

  stop(): void {
    nock.cleanAll();
  }

  private headers(): Record<string, string> {
    return this.o.rateHeaders === false
      ? {}
      : { 'x-hubspot-ratelimit-max': '110', 'x-hubspot-ratelimit-remaining': '100', 'x-hubspot-ratelimit-interval-milliseconds': '10000' };
  }

  private record(method: string, uri: string, body: unknown): void {
    this.log.push({ method, path: uri, body });
  }

  private view(d: FakeDeal, properties: string[] | null): Record<string, unknown> {
    const props = properties ? Object.fromEntries(properties.map((p) => [p, d.properties[p] ?? null])) : d.properties;
    return {
      id: d.id,
      properties: {
        ...props,
        hs_object_id: d.id,
        hs_lastmodifieddate: d.properties.hs_lastmodifieddate,
        createdate: d.properties.createdate,
      },
      createdAt: d.createdAt,
      updatedAt: d.properties.hs_lastmodifieddate,
      archived: Boolean(d.archivedAt),
      ...(d.archivedAt ? { archivedAt: d.archivedAt } : {}),
      url: `https://app.hubspot.com/contacts/147893286/record/0-3/${d.id}`,
    };
  }

  private install(): void {
    const s = this.scope;
    s.get('/crm/v3/pipelines/deals').reply(
      route((uri) => {
        this.record('GET', uri, null);
        return [200, recorded('fetch-pipelines.test.json', 'get', '/crm/v3/pipelines/deals').response, this.headers()];
      }),
    );

    s.get(/^\/crm\/v3\/owners\/?(\?.*)?$/).reply(
      route((uri) => {
        this.record('GET', uri, null);
        if (this.o.ownersDenied) {
          return [
            403,
            {
              status: 'error',
              message: "This app hasn't been granted all required scopes to make this call.",
              category: 'MISSING_SCOPES',
              errors: [
                {
                  message: 'One or more of the following scopes are required.',
                  context: { requiredGranularScopes: ['crm.objects.owners.read'] },
                },
              ],
            },
            this.headers(),
          ];
        }
        // Everyone in the recorded portal is active: the archived list is empty.
        const archived = new URL(uri, 'http://x').searchParams.get('archived') === 'true';
        const page = recorded('owners.test.json', 'get', '/crm/v3/owners').response as { results: unknown[] };
        return [200, archived ? { results: [] } : page, this.headers()];
      }),
    );

    s.post('/crm/v3/objects/deals/search').reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        return this.search(body as SearchBody);
      }),
    );

    s.get(/^\/crm\/v3\/objects\/deals(\?.*)?$/).reply(
      route((uri) => {
        this.record('GET', uri, null);
        const q = new URL(uri, this.base).searchParams;
        const archived = q.get('archived') === 'true';
        const limit = Math.min(100, Number(q.get('limit') ?? 10));
        const after = Number(q.get('after') ?? 0);
        const all_ = q.getAll('properties').flatMap((v) => v.split(','));
        const props = all_.length ? all_ : null;
        const all = [...this.deals.values()]
          .filter((d) => Boolean(d.archivedAt) === archived)
          .sort((a, b) => (num(a.id) < num(b.id) ? -1 : 1));
        const page = all.slice(after, after + limit);
        const next =
          after + limit < all.length
            ? { next: { after: String(after + limit), link: `${this.base}/crm/v3/objects/deals?after=${after + limit}` } }
            : undefined;
        return [200, { results: page.map((d) => this.view(d, props)), ...(next ? { paging: next } : {}) }, this.headers()];
      }),
    );

    s.post(/^\/crm\/v3\/objects\/deals\/batch\/read(\?.*)?$/).reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const b = body as { inputs: Array<{ id: string }>; properties?: string[]; propertiesWithHistory?: string[]; archived?: boolean };
        if (b.inputs.length > 100) return [400, { status: 'error', category: 'VALIDATION_ERROR', message: 'Batch size too large' }];
        const refused = historyLimit(b);
        if (refused) return refused;
        // `archived` (default false) picks live or archived records, as on the sandbox (objects-api.ts):
        // a deal in the recycle bin is left out of a plain batch read, as one that does not exist.
        const results = b.inputs
          .map((i) => this.deals.get(i.id))
          .filter((d): d is FakeDeal => Boolean(d) && Boolean(d!.archivedAt) === (b.archived === true))
          .map((d) => ({
            ...this.view(d, b.properties ?? []),
            propertiesWithHistory: Object.fromEntries(
              (b.propertiesWithHistory ?? []).map((p) => [
                p,
                (d.history?.[p as 'dealstage'] ?? [{ value: d.properties[p] ?? '', timestamp: d.createdAt }])
                  .map((e) => ({ ...e, sourceType: 'CRM_UI' }))
                  .reverse(),
              ]),
            ),
          }));
        return [
          200,
          { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' },
          this.headers(),
        ];
      }),
    );

    s.post(/^\/crm\/v4\/associations\/deals\/(companies|tasks)\/batch\/read$/).reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const b = body as { inputs: Array<{ id: string; after?: string }> };
        if (b.inputs.length > 100)
          return [400, { status: 'error', category: 'VALIDATION_ERROR', message: 'Batch read inputs may not exceed 100' }];
        const to = uri.includes('/companies/') ? 'companies' : 'tasks';
        const pageSize = this.o.associationPageSize ?? 500;
        const results = b.inputs.flatMap((i) => {
          const d = this.deals.get(i.id);
          const all =
            to === 'companies'
              ? d?.companyId
                ? [
                    {
                      toObjectId: Number(d.companyId),
                      associationTypes: [
                        { category: 'HUBSPOT_DEFINED', typeId: 5, label: 'Primary' },
                        { category: 'HUBSPOT_DEFINED', typeId: 341, label: null },
                      ],
                    },
                  ]
                : []
              : this.tasks
                  .filter((t) => t.dealId === i.id)
                  .map((t) => ({
                    toObjectId: Number(t.id),
                    associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 215, label: null }],
                  }));
          const start = Number(i.after ?? 0);
          const page = all.slice(start, start + pageSize);
          if (!page.length) return [];
          const next = start + pageSize < all.length ? { paging: { next: { after: String(start + pageSize) } } } : {};
          return [{ from: { id: i.id }, to: page, ...next }];
        });
        return [
          200,
          { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' },
          this.headers(),
        ];
      }),
    );

    s.post(/^\/crm\/v3\/objects\/companies\/batch\/read(\?.*)?$/).reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const b = body as { inputs: Array<{ id: string }>; properties: string[]; propertiesWithHistory?: string[] };
        const refused = historyLimit(b);
        if (refused) return refused;
        const results = b.inputs
          .filter((i) => this.o.companies?.[i.id])
          .map((i) => ({
            id: i.id,
            properties: { ...Object.fromEntries(b.properties.map((p) => [p, this.o.companies![i.id]![p] ?? null])), hs_object_id: i.id },
            createdAt: '2026-02-25T16:12:37.757Z',
            updatedAt: '2026-03-12T07:33:20.499Z',
            archived: false,
          }));
        return [
          200,
          { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' },
          this.headers(),
        ];
      }),
    );

    s.post('/crm/v3/objects/deals/batch/update').reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        return this.batchUpdate(body as { inputs: Array<{ id: string; properties: Record<string, string> }> });
      }),
    );

    s.post(/^\/crm\/v3\/objects\/tasks\/batch\/read(\?.*)?$/).reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const b = body as { idProperty?: string; inputs: Array<{ id: string }>; properties?: string[]; propertiesWithHistory?: string[] };
        const refused = historyLimit(b);
        if (refused) return refused;
        const found = b.inputs.map((i) => ({ i, t: this.tasks.find((t) => (b.idProperty ? t.properties[b.idProperty] : t.id) === i.id) }));
        // Like HubSpot, only the asked-for properties (that the task has) come back.
        const view = (t: FakeTask) =>
          Object.fromEntries(
            Object.entries(t.properties).filter(([k]) => !b.properties || b.properties.includes(k) || k === 'hs_object_id'),
          );
        const results = found
          .filter((f) => f.t)
          .map((f) => ({
            id: f.t!.id,
            properties: view(f.t!),
            createdAt: '2026-03-12T07:34:48.168Z',
            updatedAt: '2026-03-12T07:34:48.168Z',
            archived: false,
          }));
        const missing = found.filter((f) => !f.t).map((f) => f.i.id);
        if (!missing.length)
          return [
            200,
            { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' },
            this.headers(),
          ];
        return [
          207,
          {
            status: 'COMPLETE',
            results,
            numErrors: 1,
            errors: [
              {
                status: 'error',
                category: 'OBJECT_NOT_FOUND',
                message: 'Could not get some TASK objects, they may be deleted or not exist.',
                context: { ids: missing },
              },
            ],
            startedAt: '2026-03-12T07:33:47.752Z',
            completedAt: '2026-03-12T07:33:47.801Z',
          },
          this.headers(),
        ];
      }),
    );

    // Task search, as the task read-back sends it: ids (IN) and a status (EQ).
    s.post('/crm/v3/objects/tasks/search').reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const filters = (
          body as { filterGroups: Array<{ filters: Array<{ propertyName: string; operator: string; value?: string; values?: string[] }> }> }
        ).filterGroups[0]!.filters;
        const hits = this.tasks.filter((t) =>
          filters.every((f) => (f.operator === 'IN' ? f.values!.includes(t.id) : t.properties[f.propertyName] === f.value)),
        );
        return [200, { total: hits.length, results: hits.map((t) => ({ id: t.id, properties: t.properties, archived: false })) }, {}];
      }),
    );

    s.post('/crm/v3/objects/tasks/batch/create').reply(
      route((uri, body) => {
        this.record('POST', uri, body);
        const b = body as {
          inputs: Array<{ properties: Record<string, string>; associations: Array<{ to: { id: string } }>; objectWriteTraceId?: string }>;
        };
        const template = recorded('create-task.test.json', 'post', '/crm/v3/objects/tasks').response as {
          properties: Record<string, string>;
        };
        const results = b.inputs.map((i) => {
          const t: FakeTask = {
            id: String(this.nextTaskId++),
            properties: { ...template.properties, ...i.properties },
            dealId: i.associations[0]?.to.id ?? null,
          };
          t.properties.hs_object_id = t.id;
          this.tasks.push(t);
          return {
            id: t.id,
            properties: t.properties,
            createdAt: '2026-03-12T07:34:48.168Z',
            updatedAt: '2026-03-12T07:34:48.168Z',
            archived: false,
            objectWriteTraceId: i.objectWriteTraceId,
          };
        });
        return [
          201,
          { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' },
          this.headers(),
        ];
      }),
    );
  }

  private search(b: SearchBody): [number, unknown] {
    const after = Number(b.after ?? 0);
    const limit = Math.min(200, b.limit ?? 10);
    this.maxSearchDepth = Math.max(this.maxSearchDepth, after + limit);
    if (after + limit > 10_000) {
      return [
        400,
        {
          status: 'error',
          message: 'Attempting to page beyond 10,000 results',
          correlationId: 'c0ffee00-0000-4000-8000-000000000000',
          category: 'VALIDATION_ERROR',
        },
      ];
    }
    const filters = b.filterGroups?.[0]?.filters ?? [];
    const matches = [...this.deals.values()]
      .filter((d) => !d.archivedAt)
      .filter((d) =>
        filters.every((f) => {
          if (f.propertyName === 'hs_object_id') {
            const v = num(d.id);
            const x = num(f.value);
            return f.operator === 'GT' ? v > x : f.operator === 'GTE' ? v >= x : v === x;
          }
          const v = Date.parse(d.properties[f.propertyName] ?? '');
          const x = /^\d+$/.test(f.value) ? Number(f.value) : Date.parse(f.value);
          return f.operator === 'GTE'
            ? v >= x
            : f.operator === 'LT'
              ? v < x
              : f.operator === 'GT'
                ? v > x
                : f.operator === 'LTE'
                  ? v <= x
                  : v === x;
        }),
      )
      .sort((a, c) => (num(a.id) < num(c.id) ? -1 : 1));
    const page = matches.slice(after, after + limit);
    return [
      200,
      {
        total: matches.length,
        results: page.map((d) => this.view(d, b.properties ?? [])),
        ...(after + limit < matches.length ? { paging: { next: { after: String(after + limit) } } } : {}),
      },
    ];
  }

  private batchUpdate(b: { inputs: Array<{ id: string; properties: Record<string, string> }> }): [number, unknown, Record<string, string>] {
    if (b.inputs.length > 100)
      return [400, { status: 'error', category: 'VALIDATION_ERROR', message: 'Batch size too large' }, this.headers()];
    const now = (this.o.now ?? (() => new Date()))().toISOString();
    const results: unknown[] = [];
    const rejected: string[] = [];
    // A deal in the recycle bin cannot be updated: HubSpot reports it as not found, by id.
    const archived = b.inputs.filter((i) => this.deals.get(i.id)?.archivedAt).map((i) => i.id);
    for (const i of b.inputs) {
      const d = this.deals.get(i.id);
      if (archived.includes(i.id)) continue;
      if (!d || this.o.rejectIds?.has(i.id)) {
        rejected.push(i.id);
        continue;
      }
      Object.assign(d.properties, i.properties, { hs_lastmodifieddate: now });
      results.push({ ...this.view(d, Object.keys(i.properties)) });
    }
    const envelope = { status: 'COMPLETE', results, startedAt: '2026-03-12T07:33:47.752Z', completedAt: '2026-03-12T07:33:47.801Z' };
    if (!rejected.length && !archived.length) return [200, envelope, this.headers()];
    const notFound = archived.length
      ? [
          {
            status: 'error',
            category: 'OBJECT_NOT_FOUND',
            message: 'Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.',
            context: { ids: archived },
          },
        ]
      : [];
    const errors = rejected.map((id) => ({
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: `Deal ${id} failed a validation rule: a required property for this stage is missing`,
      context: { ids: [id] },
      errors: [{ code: 'REQUIRED_PROPERTY', message: 'closed_lost_reason is required' }],
    }));
    const all = [...errors, ...notFound];
    return [this.o.datedBatchErrors ? 200 : 207, { ...envelope, numErrors: all.length, errors: all }, this.headers()];
  }
}

interface SearchBody {
  filterGroups?: Array<{ filters: Array<{ propertyName: string; operator: string; value: string }> }>;
  properties?: string[];
  limit?: number;
  after?: string;
}
