import { randomUUID } from 'node:crypto';
import type { SandboxCurrencies } from '../currency.ts';
import type { ActiveFault, FaultTable } from '../faults.ts';
import type { Mount } from '../http/server.ts';
import { INVALID_JSON } from '../http/server.ts';
import { bearer, json, type SbRequest, type SbResponse } from '../http/types.ts';
import { recordPage } from '../ui.ts';
import { HS_STAGES, HS_TYPES, hsType } from './catalog.ts';
import { currenciesApi } from './currencies-api.ts';
import { type HsLimiter, rateLimitBody } from './limits.ts';
import type { HsAuth } from './oauth.ts';
import type { HsObjectsApi } from './objects-api.ts';
import { ASSOC, type HubSpotPortal } from './portal.ts';
import type { HsPropertiesApi } from './properties-api.ts';
import { hsError } from './render.ts';
import { missingScopes, scopeRule, unmet } from './scopes.ts';
import type { HsSearch } from './search.ts';

export interface HsParts {
  portal: HubSpotPortal;
  auth: HsAuth;
  faults: FaultTable;
  limiter: HsLimiter;
  objects: HsObjectsApi;
  search: HsSearch;
  properties: HsPropertiesApi;
  /** Associations per object in one batch-read answer before `paging.next.after`. */
  associationPageSize: number;
  /** A multi-currency portal's currencies; null: single-currency (USD). */
  currencies: SandboxCurrencies | null;
}

/** Longest path plus query string the sandbox serves (docs silent; a common front-end limit). */
const MAX_URL_CHARS = 8_000;

/** Association batch reads: 100 ids a request since 2025 (HubSpot changelog "Batch Read Limit for HubSpot Associations API", which also says 1,000; the lower taken). */
const MAX_ASSOCIATION_READ_INPUTS = 100;

const EPOCH = '1970-01-01T00:00:00Z';

function pipeline() {
  return {
    label: 'Sales Pipeline',
    displayOrder: 0,
    id: 'default',
    createdAt: EPOCH,
    updatedAt: EPOCH,
    archived: false,
    stages: HS_STAGES.map((s, i) => ({
      label: s.label,
      displayOrder: i,
      metadata: { isClosed: String(i >= 5), probability: s.probability },
      id: s.id,
      createdAt: EPOCH,
      updatedAt: EPOCH,
      writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
      archived: false,
    })),
  };
}

/** The HubSpot side of the sandbox: OAuth, CRM objects, search, properties, pipelines, owners, associations. */
export class HubSpotMount implements Mount {
  readonly crm = 'hs' as const;

  constructor(private readonly p: HsParts) {}

  faultResponse(f: ActiveFault, req: SbRequest): SbResponse {
    const search = req.path.endsWith('/search');
    const headers = { ...(search || req.path.startsWith('/oauth') ? {} : this.p.limiter.headers()), ...(f.rule.headers ?? {}) };
    if (f.rule.body !== undefined) return json(f.rule.status ?? 500, f.rule.body, headers);
    if (f.rule.policy) {
      // An injected rate limit asks for its whole window again, as a fresh one would (DAILY: HubSpot's pause is the portal's day, no Retry-After).
      const wait: Record<string, string> =
        f.rule.policy === 'SECONDLY'
          ? { 'Retry-After': '1' }
          : f.rule.policy === 'DAILY'
            ? {}
            : { 'Retry-After': String(Math.ceil(this.p.limiter.cfg.burstWindowMs / 1000)) };
      return json(f.rule.status ?? 429, rateLimitBody(f.rule.policy), {
        ...wait,
        ...(f.rule.policy === 'SECONDLY' || search ? {} : headers),
        ...(f.rule.headers ?? {}),
      });
    }
    const status = f.rule.status ?? 500;
    if (req.path.startsWith('/oauth')) {
      return json(status, {
        status: f.rule.errorCode ?? 'BAD_REFRESH_TOKEN',
        message: f.rule.message ?? 'missing or unknown refresh token',
        correlationId: randomUUID(),
        error: 'invalid_grant',
        error_description: 'refresh token is invalid, expired or revoked',
      });
    }
    const category =
      f.rule.errorCode ??
      (status === 401
        ? 'INVALID_AUTHENTICATION'
        : status === 403
          ? 'MISSING_SCOPES'
          : status === 404
            ? 'OBJECT_NOT_FOUND'
            : status === 429
              ? 'RATE_LIMITS'
              : status < 500
                ? 'VALIDATION_ERROR'
                : 'INTERNAL_ERROR');
    const out = hsError(status, category, f.rule.message ?? (status >= 500 ? 'internal error' : 'injected fault'));
    out.headers = headers;
    return out;
  }

  expireToken(req: SbRequest): void {
    this.p.auth.tokens.expire(bearer(req));
  }

  revokeToken(req: SbRequest): void {
    const t = bearer(req);
    const f = t ? this.p.auth.tokens.familyOf(t) : null;
    if (f !== null) this.p.auth.tokens.revokeFamily(f);
  }

  handle(req: SbRequest): SbResponse {
    const seg = req.path.split('/').filter(Boolean).map(decodeURIComponent);
    const { auth } = this.p;
    if (seg[0] === 'oauth') return this.oauth(req, seg);
    if ((seg[0] === 'contacts' && seg[2] === 'record') || (seg[0] === 'tasks' && seg[2] === 'view')) {
      const type = seg[0] === 'tasks' ? 'tasks' : hsType(seg[3] ?? '');
      const o = type ? this.p.portal.get(type, seg[seg.length - 1]!) : null;
      if (!o) return hsError(404, 'OBJECT_NOT_FOUND', 'No such record');
      return recordPage(`${type}: ${o.get('dealname') ?? o.get('name') ?? o.get('hs_task_subject') ?? o.id}`, o.all());
    }
    if (req.body === INVALID_JSON) return hsError(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1');
    // HubSpot documents no URL length limit (integrators chunk long property lists); past 8,000
    // characters the sandbox answers as an HTTP front end would.
    if (req.path.length + req.query.toString().length > MAX_URL_CHARS)
      return { status: 414, text: 'URI Too Long', contentType: 'text/plain' };
    const a = auth.authenticate(bearer(req));
    if (!a.ok) return a.response;
    const search = seg[seg.length - 1] === 'search';
    const blocked = this.p.limiter.admit(search ? 'search' : 'api');
    if (blocked) return blocked;
    const rule = scopeRule(req.method, seg);
    const lacking = rule && a.scopes ? unmet(rule, a.scopes) : [];
    if (lacking.length) {
      const out = missingScopes(lacking[0]!);
      out.headers = this.p.limiter.headers();
      return out;
    }
    if (seg[0] === 'appinstalls' && seg[2] === 'external-install' && req.method === 'DELETE') return this.p.auth.uninstall(bearer(req));
    const out = this.route(req, seg);
    if (!search) out.headers = { ...this.p.limiter.headers(), ...(out.headers ?? {}) };
    out.headers = { ...(out.headers ?? {}), 'X-HubSpot-Correlation-Id': randomUUID() };
    return out;
  }

  private oauth(req: SbRequest, seg: string[]): SbResponse {
    const { auth } = this.p;
    if (seg[seg.length - 1] === 'authorize') return req.method === 'POST' ? auth.authorizeDecision(req) : auth.authorizePage(req);
    if (seg.length === 3 && seg[2] === 'token' && req.method === 'POST') return auth.token(req);
    if (seg.length === 4 && seg[2] === 'token' && seg[3] === 'introspect') return auth.introspect(req);
    if (seg.length === 4 && seg[2] === 'token' && seg[3] === 'revoke')
      return auth.revoke((req.body as Record<string, string> | undefined)?.token);
    if (seg[1] === 'v1' && (seg[2] === 'access-tokens' || seg[2] === 'refresh-tokens') && seg[3]) {
      if (req.method === 'DELETE' && seg[2] === 'refresh-tokens') return auth.revoke(seg[3]);
      return auth.describeToken(seg[2] === 'access-tokens' ? 'access' : 'refresh', seg[3]);
    }
    return hsError(404, 'OBJECT_NOT_FOUND', `No OAuth endpoint at ${req.path}`);
  }

  private route(req: SbRequest, seg: string[]): SbResponse {
    const { portal, objects, properties } = this.p;
    const m = req.method;
    // /crm/v3/objects/{type}/... and the date-based /crm/objects/{yyyy-mm}/{type}/...
    const dated = seg[0] === 'crm' && seg[1] === 'objects' && /^\d{4}-\d{2}$/.test(seg[2] ?? '');
    if (dated || (seg[0] === 'crm' && seg[1] === 'v3' && seg[2] === 'objects')) {
      const type = hsType(seg[3] ?? '');
      if (!type) return hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${seg[3]}`);
      const rest = seg.slice(4);
      if (rest.length === 0) return m === 'POST' ? objects.create(req, type) : objects.list(req, type);
      if (rest[0] === 'search' && m === 'POST') return this.p.search.search(req, type);
      if (rest[0] === 'batch' && rest[1] && m === 'POST') return objects.batch(req, type, rest[1], dated);
      if (rest.length === 1) {
        if (m === 'GET') return objects.read(req, type, rest[0]!);
        if (m === 'PATCH') return objects.update(req, type, rest[0]!);
        if (m === 'DELETE') return objects.archive(type, rest[0]!);
      }
      if (rest[1] === 'associations' && rest[2] && m === 'GET') {
        const to = hsType(rest[2]);
        const links = to ? portal.associations(type, rest[0]!, to) : [];
        return json(200, { results: links.map((l) => ({ id: l.id, type: l.name })) });
      }
    }
    if (seg[0] === 'crm' && (seg[1] === 'v3' || /^\d{4}-\d{2}$/.test(seg[2] ?? '')) && seg.includes('properties')) {
      const i = seg.indexOf('properties');
      const type = hsType(seg[i + 1] ?? '');
      if (!type) return hsError(400, 'VALIDATION_ERROR', `Unable to infer object type from: ${seg[i + 1]}`);
      return properties.handle(req, type, seg.slice(i + 2));
    }
    if (seg[0] === 'crm' && seg[1] === 'v3' && seg[2] === 'pipelines') {
      if (hsType(seg[3] ?? '') !== 'deals') return json(200, { results: [] });
      if (!seg[4]) return json(200, { results: [pipeline()] });
      if (seg[4] !== 'default') return hsError(404, 'OBJECT_NOT_FOUND', `Unable to find pipeline ${seg[4]}`);
      return json(200, seg[5] === 'stages' ? { results: pipeline().stages } : pipeline());
    }
    if (seg[0] === 'crm' && seg[1] === 'v3' && seg[2] === 'owners') {
      const owners = portal.owners();
      if (seg[3]) {
        const o = owners.find((x) => x.id === seg[3]);
        return o ? json(200, o) : hsError(404, 'OBJECT_NOT_FOUND', `Owner ${seg[3]} not found`);
      }
      const email = req.query.get('email');
      // Every sandbox owner is active: the archived list is empty.
      const list = req.query.get('archived') === 'true' ? [] : email ? owners.filter((o) => o.email === email) : owners;
      // The spec gives the owners list a default page of 100 and no maximum: more is refused here.
      const limit = Number(req.query.get('limit') ?? 100) || 100;
      if (limit > 100) return hsError(400, 'VALIDATION_ERROR', `limit must be at most 100, got ${limit}`);
      const start = Number(req.query.get('after') ?? 0) || 0;
      const page = list.slice(start, start + limit);
      return json(200, {
        results: page,
        ...(start + limit < list.length
          ? { paging: { next: { after: String(start + limit), link: `${req.baseUrl}/hs/crm/v3/owners?after=${start + limit}` } } }
          : {}),
      });
    }
    if (seg[0] === 'crm' && (seg[1] === 'v4' || seg[1] === 'v3') && (seg[2] === 'objects' || seg[2] === 'associations'))
      return this.associations(req, seg);
    if (seg[0] === 'settings' && (seg[2] === 'currencies' || (seg[1] === 'currencies' && /^\d{4}-\d{2}$/.test(seg[2] ?? ''))))
      return currenciesApi(req, seg.slice(3), this.p.currencies, portal.now());
    if (seg[0] === 'account-info' && seg[2] === 'details') {
      return json(200, {
        portalId: portal.portalId,
        accountType: 'STANDARD',
        timeZone: 'US/Eastern',
        companyCurrency: this.p.currencies?.corporate ?? 'USD',
        additionalCurrencies: this.p.currencies?.codes().slice(1) ?? [],
        utcOffset: '-05:00',
        utcOffsetMilliseconds: -18_000_000,
        uiDomain: 'app.hubspot.com',
        dataHostingLocation: 'na1',
      });
    }
    return hsError(404, 'OBJECT_NOT_FOUND', `The sandbox does not serve ${m} ${req.path}`);
  }

  private associations(req: SbRequest, seg: string[]): SbResponse {
    const { portal } = this.p;
    const m = req.method;
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as { inputs?: Array<Record<string, unknown>> };
    const stamps = () => ({ startedAt: new Date().toISOString(), completedAt: new Date().toISOString() });
    const v4Link = (l: { id: string; typeId: number; primary: boolean }) => ({
      toObjectId: Number(l.id),
      associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: l.typeId, label: l.primary ? 'Primary' : null }],
    });
    if (seg[2] === 'objects') {
      const from = hsType(seg[3] ?? '');
      const id = seg[4]!;
      const to = hsType(seg[6] === 'default' ? (seg[7] ?? '') : (seg[6] ?? ''));
      if (!from || !to || seg[5] !== 'associations') return hsError(400, 'VALIDATION_ERROR', `Unknown association path ${req.path}`);
      if (m === 'GET') return json(200, { results: portal.associations(from, id, to).map(v4Link) });
      if (m === 'PUT') {
        const toId = seg[6] === 'default' ? seg[8]! : seg[7]!;
        if (!portal.get(from, id) || !portal.get(to, toId)) return hsError(404, 'OBJECT_NOT_FOUND', 'One of the objects does not exist');
        portal.associate(from, id, to, toId);
        const spec = ASSOC[`${from}>${to}`]!;
        if (seg[6] === 'default') {
          return json(200, {
            status: 'COMPLETE',
            results: [
              {
                from: { id },
                to: { id: toId },
                associationSpec: { associationCategory: 'HUBSPOT_DEFINED', associationTypeId: spec.typeId },
              },
            ],
            ...stamps(),
          });
        }
        return json(200, {
          fromObjectTypeId: HS_TYPES[from],
          fromObjectId: Number(id),
          toObjectTypeId: HS_TYPES[to],
          toObjectId: Number(toId),
          labels: [],
        });
      }
    }
    const from = hsType(seg[3] ?? '');
    const to = hsType(seg[4] ?? '');
    if (!from || !to) return hsError(400, 'VALIDATION_ERROR', `Unknown association path ${req.path}`);
    const op = seg.slice(5).join('/');
    if (op === 'labels') {
      const spec = ASSOC[`${from}>${to}`];
      return json(200, { results: spec ? [{ category: 'HUBSPOT_DEFINED', typeId: spec.typeId, label: null }] : [] });
    }
    if (op === 'batch/read') {
      const inputs = (body.inputs ?? []) as Array<{ id?: unknown; after?: unknown }>;
      if (inputs.length > MAX_ASSOCIATION_READ_INPUTS)
        return hsError(
          400,
          'VALIDATION_ERROR',
          `A batch read of associations takes at most ${MAX_ASSOCIATION_READ_INPUTS} inputs, got ${inputs.length}`,
        );
      // v4 pages each object's links: `paging.next.after` in its row, sent back with its id.
      const size = this.p.associationPageSize;
      const results = inputs.map((i) => {
        const id = String(i.id ?? '');
        const links = portal.associations(from, id, to);
        if (seg[1] !== 'v4') return { from: { id }, to: links.map((l) => ({ id: l.id, type: l.name })) };
        const start = Number(i.after ?? 0) || 0;
        const next = start + size < links.length ? { paging: { next: { after: String(start + size) } } } : {};
        return { from: { id }, to: links.slice(start, start + size).map(v4Link), ...next };
      });
      return json(200, { status: 'COMPLETE', results: results.filter((r) => r.to.length), ...stamps() });
    }
    if (op === 'batch/create' || op === 'batch/associate/default') {
      const results: unknown[] = [];
      for (const i of body.inputs ?? []) {
        const fromId = String((i.from as { id?: string } | undefined)?.id ?? '');
        const toId = String((i.to as { id?: string } | undefined)?.id ?? '');
        if (!portal.get(from, fromId) || !portal.get(to, toId)) continue;
        portal.associate(from, fromId, to, toId);
        results.push(
          { from: { id: toId }, to: { id: fromId }, type: ASSOC[`${to}>${from}`]!.name },
          { from: { id: fromId }, to: { id: toId }, type: ASSOC[`${from}>${to}`]!.name },
        );
      }
      return json(200, { status: 'COMPLETE', results, ...stamps() });
    }
    return hsError(404, 'OBJECT_NOT_FOUND', `The sandbox does not serve ${m} ${req.path}`);
  }
}
