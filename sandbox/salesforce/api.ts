import type { ActiveFault, FaultTable } from '../faults.ts';
import { DAY } from '../generate.ts';
import type { Mount } from '../http/server.ts';
import { INVALID_JSON } from '../http/server.ts';
import { bearer, json, type SbRequest, type SbResponse } from '../http/types.ts';
import { recordPage } from '../ui.ts';
import type { SfBulk2 } from './bulk2.ts';
import { basicInfo, describe, describeGlobal, limits, replication, resources, versions } from './describe.ts';
import { notFound, sfError } from './errors.ts';
import { type SfMetadata, soapFault } from './metadata.ts';
import type { SfAuth } from './oauth.ts';
import type { SalesforceOrg } from './org.ts';
import type { SfQuery } from './query.ts';
import type { SfRecords } from './records.ts';

const LATEST = 66;
const MAX_COMPOSITE = 25;

const DEFAULT_ERRORS: Record<number, [string, string]> = {
  400: ['BAD_REQUEST', 'The request could not be understood'],
  401: ['INVALID_SESSION_ID', 'Session expired or invalid'],
  403: ['REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'],
  404: ['NOT_FOUND', 'The requested resource does not exist'],
  420: ['REQUEST_LIMIT_EXCEEDED', 'Request rate limit exceeded'],
  429: ['REQUEST_LIMIT_EXCEEDED', 'Request rate limit exceeded'],
  500: [
    'UNKNOWN_EXCEPTION',
    'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-1234567890)',
  ],
  502: ['SERVER_UNAVAILABLE', 'Bad gateway'],
  503: ['SERVER_UNAVAILABLE', 'Server unavailable'],
  504: ['SERVER_UNAVAILABLE', 'Gateway timeout'],
};

export interface SfParts {
  org: SalesforceOrg;
  auth: SfAuth;
  faults: FaultTable;
  query: SfQuery;
  records: SfRecords;
  bulk: SfBulk2;
  metadata: SfMetadata;
  dailyApiLimit: number;
}

/** The Salesforce side of the sandbox: OAuth, identity, REST (data API), Bulk API 2.0, Metadata SOAP. */
export class SalesforceMount implements Mount {
  readonly crm = 'sf' as const;
  private usageDay = -1;
  used = 0;

  constructor(private readonly p: SfParts) {}

  private countCall(): number {
    const day = Math.floor(this.p.org.now() / DAY);
    if (day !== this.usageDay) {
      this.usageDay = day;
      this.used = 0;
      this.p.bulk.jobsToday = 0;
    }
    return ++this.used;
  }

  private limitHeader(): Record<string, string> {
    return { 'Sforce-Limit-Info': `api-usage=${this.used}/${this.p.dailyApiLimit}` };
  }

  faultResponse(f: ActiveFault, req: SbRequest): SbResponse {
    const status = f.rule.status ?? 500;
    if (f.rule.body !== undefined) return json(status, f.rule.body, f.rule.headers);
    if (req.path.includes('/oauth2/')) {
      return json(
        status,
        {
          error: f.rule.errorCode ?? (status >= 500 ? 'server_error' : 'invalid_grant'),
          error_description: f.rule.message ?? 'expired access/refresh token',
        },
        f.rule.headers,
      );
    }
    if (req.path.startsWith('/services/Soap/'))
      return soapFault(f.rule.errorCode ?? 'UNKNOWN_EXCEPTION', f.rule.message ?? 'injected fault', status);
    const [code, message] = DEFAULT_ERRORS[status] ?? ['UNKNOWN_EXCEPTION', 'injected fault'];
    const out = sfError(status, f.rule.errorCode ?? code, f.rule.message ?? message);
    if (req.path.startsWith('/services/data/v')) {
      this.countCall();
      out.headers = { ...this.limitHeader(), ...(f.rule.headers ?? {}) };
    }
    return out;
  }

  private tokenOf(req: SbRequest): string | null {
    return bearer(req) ?? req.query.get('oauth_token');
  }

  expireToken(req: SbRequest): void {
    this.p.auth.tokens.expire(this.tokenOf(req));
  }

  revokeToken(req: SbRequest): void {
    const t = this.tokenOf(req);
    const family = t ? this.p.auth.tokens.familyOf(t) : null;
    if (family !== null) this.p.auth.tokens.revokeFamily(family);
  }

  async handle(req: SbRequest): Promise<SbResponse> {
    const { path, method } = req;
    const auth = this.p.auth;
    if (path === '/services/oauth2/authorize') return method === 'POST' ? auth.authorizeDecision(req) : auth.authorizePage(req);
    if (path === '/services/oauth2/token' && method === 'POST') return auth.token(req);
    if (path === '/services/oauth2/revoke') return auth.revoke(req);
    if (path === '/services/oauth2/introspect' && method === 'POST') return auth.introspect(req);
    if (path === '/services/oauth2/userinfo') return auth.userinfo(req, false);
    if (path.startsWith('/id/')) return auth.userinfo(req, true);
    if (path === '/services/data' || path === '/services/data/') return json(200, versions(LATEST));
    const page = /^\/lightning\/r\/(\w+)\/(\w+)\/view$/.exec(path);
    if (page) {
      const obj = this.p.org.describe(page[1]!);
      const row = obj ? this.p.org.byId(obj.name, page[2]!) : null;
      if (!obj || !row) return notFound();
      return recordPage(
        `${obj.label}: ${String(row.get('Name') ?? row.get('Subject') ?? row.id)}`,
        Object.fromEntries(
          [
            ...obj.fields,
            ...[...this.p.org.customFields.values()].filter((c) => c.fullName.startsWith(`${obj.name}.`)).map((c) => c.def),
          ].map((f) => [f.name, row.get(f.name)]),
        ),
      );
    }
    if (path.startsWith('/services/Soap/m/')) {
      this.countCall();
      return this.p.metadata.handle(req);
    }
    const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(path);
    if (!m) return notFound();
    const a = auth.authenticate(this.tokenOf(req), 'api');
    if (!a.ok) return a.response;
    const used = this.countCall();
    if (used > this.p.dailyApiLimit)
      return { ...sfError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.'), headers: this.limitHeader() };
    const out = await this.route(req, m[1]!, (m[2] ?? '/').replace(/\/+$/, '') || '/');
    out.headers = { ...(out.headers ?? {}), ...this.limitHeader() };
    return out;
  }

  /** Routes one data-API request (also used for composite subrequests, which count once). */
  private async route(req: SbRequest, version: string, rest: string): Promise<SbResponse> {
    const v = Number(version);
    if (v < 31 || v > LATEST) return notFound();
    if (req.body === INVALID_JSON) return sfError(400, 'JSON_PARSER_ERROR', 'Unexpected character: was expecting a valid JSON value');
    const { method } = req;
    const seg = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const { org, records, query, bulk } = this.p;
    const is = (...want: string[]) => want.length === seg.length && want.every((w, i) => w === '*' || w === seg[i]);
    if (seg.length === 0) return json(200, resources(version, `${req.baseUrl}/sf/id/${org.orgId}/${org.integrationUserId}`));
    if (is('limits')) return limits(this.used, this.p.dailyApiLimit, bulk.jobsToday);
    if (is('query') || is('queryAll')) return query.query(req, version, seg[0] === 'queryAll');
    if (is('query', '*') || is('queryAll', '*')) return query.more(seg[1]!, version);
    if (is('sobjects')) return describeGlobal(org, version);
    if (seg[0] === 'sobjects' && seg.length >= 2) {
      const type = seg[1]!;
      if (seg.length === 2) return method === 'POST' ? records.create(req, type, version) : basicInfo(org, type, version);
      if (is('sobjects', '*', 'describe')) return describe(org, type, version);
      if (is('sobjects', '*', 'updated') || is('sobjects', '*', 'deleted'))
        return replication(org, type, seg[2] as 'updated' | 'deleted', req);
      if (seg.length === 3) {
        if (method === 'GET') return records.get(req, type, seg[2]!, version);
        if (method === 'PATCH') return records.update(req, type, seg[2]!);
        if (method === 'DELETE') return records.remove(type, seg[2]!);
      }
      if (seg.length === 4 && method === 'PATCH') return records.upsertOne(req, type, seg[2]!, seg[3]!, version);
      return sfError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed. Allowed are GET,PATCH,DELETE`);
    }
    if (is('composite', 'sobjects')) return records.collection(req, method, null);
    if (is('composite', 'sobjects', '*', '*') && method === 'PATCH')
      return records.collection(req, method, { type: seg[2]!, field: seg[3]! });
    if (is('composite') && method === 'POST') return this.composite(req);
    if (is('composite', 'graph') && method === 'POST') return this.graph(req);
    if (is('jobs', 'query')) return method === 'POST' ? bulk.create(req, version) : bulk.list(version);
    if (is('jobs', 'query', '*'))
      return method === 'PATCH'
        ? bulk.abort(seg[2]!, req, version)
        : method === 'DELETE'
          ? bulk.remove(seg[2]!)
          : bulk.get(seg[2]!, version);
    if (is('jobs', 'query', '*', 'results')) return bulk.results(seg[2]!, req, version);
    return notFound();
  }

  private async subrequests(req: SbRequest, items: unknown[]): Promise<{ responses: unknown[]; ok: boolean }> {
    const refs = new Map<string, unknown>();
    const resolveRefs = (v: unknown): unknown => {
      if (typeof v === 'string')
        return v.replace(/@\{([^}.]+)\.([^}]+)\}/g, (_, ref: string, field: string) =>
          String((refs.get(ref) as Record<string, unknown> | undefined)?.[field] ?? ''),
        );
      if (Array.isArray(v)) return v.map(resolveRefs);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRefs(x)]));
      return v;
    };
    const responses: unknown[] = [];
    let ok = true;
    for (const raw of items) {
      const sub = raw as { method?: string; url?: string; referenceId?: string; body?: unknown };
      const url = new URL(String(resolveRefs(sub.url ?? '')), 'http://sandbox');
      const m = /^\/services\/data\/v(\d+\.\d)(\/.*)?$/.exec(url.pathname);
      const res = m
        ? await this.route(
            {
              ...req,
              method: String(sub.method ?? 'GET').toUpperCase(),
              path: url.pathname,
              query: url.searchParams,
              body: resolveRefs(sub.body),
            },
            m[1]!,
            (m[2] ?? '/').replace(/\/+$/, '') || '/',
          )
        : notFound();
      if (res.status >= 400) ok = false;
      refs.set(String(sub.referenceId ?? ''), res.body);
      responses.push({
        body: res.body ?? null,
        httpHeaders: res.headers?.Location ? { Location: res.headers.Location } : {},
        httpStatusCode: res.status,
        referenceId: sub.referenceId ?? null,
      });
    }
    return { responses, ok };
  }

  private async composite(req: SbRequest): Promise<SbResponse> {
    const body = req.body as { compositeRequest?: unknown[] } | undefined;
    const items = body?.compositeRequest;
    if (!Array.isArray(items)) return sfError(400, 'JSON_PARSER_ERROR', 'compositeRequest is required');
    if (items.length > MAX_COMPOSITE)
      return sfError(400, 'LIMIT_EXCEEDED', `Limit Exceeded: a composite request can have at most ${MAX_COMPOSITE} subrequests`);
    const { responses } = await this.subrequests(req, items);
    return json(200, { compositeResponse: responses });
  }

  private async graph(req: SbRequest): Promise<SbResponse> {
    const graphs = (req.body as { graphs?: Array<{ graphId?: string; compositeRequest?: unknown[] }> } | undefined)?.graphs;
    if (!Array.isArray(graphs)) return sfError(400, 'JSON_PARSER_ERROR', 'graphs is required');
    const out = [];
    for (const g of graphs) {
      const { responses, ok } = await this.subrequests(req, g.compositeRequest ?? []);
      out.push({ graphId: g.graphId ?? null, graphResponse: { compositeResponse: responses }, isSuccessful: ok });
    }
    return json(200, { graphs: out });
  }
}
