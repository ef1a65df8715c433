import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { DEFAULT_PROPERTIES, type HsType, type PropertyDef } from './catalog.ts';
import type { HubSpotPortal } from './portal.ts';
import type { HsObject } from './records.ts';
import { hsError, renderObject } from './render.ts';

const MAX_LIMIT = 200;
const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;
/** Values of one IN / NOT_IN filter: HubSpot documents no limit, so the sandbox takes 100 (docs/crm-limits.md). */
const MAX_IN_VALUES = 100;

interface Filter {
  propertyName: string;
  operator: string;
  value?: unknown;
  highValue?: unknown;
  values?: unknown[];
}

type Comparable = number | string | null;

function comparable(def: PropertyDef | undefined, v: unknown): Comparable {
  if (v === null || v === undefined || v === '') return null;
  const s = String(v);
  if (def && (def.type === 'datetime' || def.type === 'date')) {
    const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
    return Number.isFinite(t) ? t : null;
  }
  if (def?.type === 'number') return Number.isFinite(Number(s)) ? Number(s) : null;
  return s.toLowerCase();
}

function cmp(a: Comparable, b: Comparable): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function compileFilter(portal: HubSpotPortal, type: HsType, f: Filter): (o: HsObject) => boolean {
  const assoc = /^associations\.(\w+)$/.exec(f.propertyName);
  if (assoc) {
    const to = (
      assoc[1] === 'deal' ? 'deals' : assoc[1] === 'contact' ? 'contacts' : assoc[1] === 'company' ? 'companies' : assoc[1]
    ) as HsType;
    const want = new Set((f.values ?? [f.value]).map(String));
    return (o) => portal.associations(type, o.id, to).some((l) => want.has(l.id)) !== (f.operator === 'NEQ' || f.operator === 'NOT_IN');
  }
  const def = portal.properties[type].get(f.propertyName);
  const val = comparable(def, f.value);
  const high = comparable(def, f.highValue);
  const set = new Set((f.values ?? []).map((v) => comparable(def, v)));
  const token =
    typeof f.value === 'string'
      ? new RegExp(
          `(^|\\W)${f.value
            .toLowerCase()
            .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '.*')}($|\\W)`,
        )
      : null;
  return (o) => {
    const v = comparable(def, o.get(f.propertyName));
    switch (f.operator) {
      case 'EQ':
        return v !== null && cmp(v, val) === 0;
      case 'NEQ':
        return v === null || cmp(v, val) !== 0;
      case 'LT':
        return v !== null && val !== null && cmp(v, val) < 0;
      case 'LTE':
        return v !== null && val !== null && cmp(v, val) <= 0;
      case 'GT':
        return v !== null && val !== null && cmp(v, val) > 0;
      case 'GTE':
        return v !== null && val !== null && cmp(v, val) >= 0;
      case 'BETWEEN':
        return v !== null && val !== null && high !== null && cmp(v, val) >= 0 && cmp(v, high) <= 0;
      case 'IN':
        return v !== null && set.has(v);
      case 'NOT_IN':
        return v === null || !set.has(v);
      case 'HAS_PROPERTY':
        return v !== null;
      case 'NOT_HAS_PROPERTY':
        return v === null;
      case 'CONTAINS_TOKEN':
        return v !== null && !!token?.test(String(v));
      case 'NOT_CONTAINS_TOKEN':
        return v === null || !token?.test(String(v));
      default:
        return false;
    }
  };
}

const OPERATORS = new Set([
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
]);

/**
 * CRM search: filter groups, one sort, offset paging (`after`), 200 a page, 10,000 results at most.
 * Search reads an index that lags writes by seconds (HubSpot: "changes may take a few moments to
 * appear"; the docs give no figure). With `lagMs`, an object changed (or created) less than that
 * many sandbox-clock ms ago is not found yet; HubSpot would show its previous version, which a
 * window on hs_lastmodifieddate misses just the same.
 */
export class HsSearch {
  private cache: { key: string; hits: HsObject[] } | null = null;

  constructor(
    private readonly portal: HubSpotPortal,
    private readonly cap: () => number,
    private readonly lagMs: () => number = () => 0,
  ) {}

  search(req: SbRequest, type: HsType): SbResponse {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const groups = (Array.isArray(body.filterGroups) ? body.filterGroups : []) as Array<{ filters?: Filter[] }>;
    const filters = groups.flatMap((g) => g.filters ?? []);
    const limit = body.limit === undefined ? 10 : Number(body.limit);
    const offset = body.after === undefined || body.after === null || body.after === '' ? 0 : Number(body.after);
    const invalid = (message: string) => hsError(400, 'VALIDATION_ERROR', message);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
      return invalid(`limit must be between 1 and ${MAX_LIMIT}, got ${String(body.limit)}`);
    if (!Number.isInteger(offset) || offset < 0) return invalid(`after must be a non-negative integer offset, got ${String(body.after)}`);
    if (groups.length > MAX_GROUPS) return invalid(`There are too many filter groups (${groups.length}); the maximum is ${MAX_GROUPS}`);
    if (groups.some((g) => (g.filters ?? []).length > MAX_FILTERS_PER_GROUP))
      return invalid(`A filter group has too many filters; the maximum is ${MAX_FILTERS_PER_GROUP}`);
    if (filters.length > MAX_FILTERS) return invalid(`There are too many filters (${filters.length}); the maximum is ${MAX_FILTERS}`);
    const bad = filters.find((f) => !OPERATORS.has(f.operator));
    if (bad) return invalid(`Unknown filter operator ${String(bad.operator)}`);
    const long = filters.find((f) => Array.isArray(f.values) && f.values.length > MAX_IN_VALUES);
    if (long)
      return invalid(
        `The ${long.operator} filter on ${long.propertyName} has ${long.values!.length} values; the maximum is ${MAX_IN_VALUES}`,
      );
    const sorts = (Array.isArray(body.sorts) ? body.sorts : []) as Array<string | { propertyName: string; direction?: string }>;
    if (sorts.length > 1) return invalid('Only one sort is supported');
    const cap = this.cap();
    if (offset + limit > cap) {
      return hsError(
        400,
        'VALIDATION_ERROR',
        `The search endpoint returns at most ${cap} results per query: after (${offset}) + limit (${limit}) is past it. Narrow the query, for example with a filter on hs_object_id or hs_lastmodifieddate.`,
      );
    }
    const hits = this.matches(type, groups, sorts[0], typeof body.query === 'string' ? body.query : null);
    const page = hits.slice(offset, offset + limit);
    const properties = Array.isArray(body.properties) ? (body.properties as string[]) : null;
    const results = page.map((o) =>
      renderObject(this.portal, req.baseUrl, o, { properties, propertiesWithHistory: [], associations: [] }, DEFAULT_PROPERTIES[type]),
    );
    return json(200, {
      total: hits.length,
      results,
      ...(offset + limit < hits.length ? { paging: { next: { after: String(offset + limit) } } } : {}),
    });
  }

  private matches(
    type: HsType,
    groups: Array<{ filters?: Filter[] }>,
    sort: string | { propertyName: string; direction?: string } | undefined,
    query: string | null,
  ): HsObject[] {
    const lag = this.lagMs();
    const indexedUntil = this.portal.now() - lag;
    const key = JSON.stringify([type, groups, sort, query, this.portal.now(), lag, this.portal.writes.length, this.portal.manual.size]);
    if (this.cache?.key === key) return this.cache.hits;
    const compiled = groups.map((g) => (g.filters ?? []).map((f) => compileFilter(this.portal, type, f)));
    const q = query?.toLowerCase() ?? null;
    const nameProp = type === 'deals' ? 'dealname' : type === 'companies' ? 'name' : type === 'tasks' ? 'hs_task_subject' : 'email';
    const hits: HsObject[] = [];
    for (const o of this.portal.objects(type, { archived: false })) {
      if (lag > 0 && o.updatedAt() > indexedUntil) continue;
      if (compiled.length && !compiled.some((fs) => fs.every((f) => f(o)))) continue;
      if (q && !(o.get(nameProp) ?? '').toLowerCase().includes(q)) continue;
      hits.push(o);
    }
    const s =
      typeof sort === 'string'
        ? { propertyName: sort.replace(/^-/, ''), direction: sort.startsWith('-') ? 'DESCENDING' : 'ASCENDING' }
        : sort;
    const prop = s?.propertyName ?? (type === 'tasks' ? 'hs_createdate' : 'createdate');
    const dir = s?.direction === 'DESCENDING' ? -1 : 1;
    const def = this.portal.properties[type].get(prop);
    const keyed = hits.map((o) => ({ o, k: comparable(def, o.get(prop)), id: Number(o.id) }));
    keyed.sort((a, b) => {
      if (a.k === null || b.k === null) return a.k === b.k ? a.id - b.id : a.k === null ? 1 : -1;
      return dir * cmp(a.k, b.k) || a.id - b.id;
    });
    const sorted = keyed.map((x) => x.o);
    this.cache = { key, hits: sorted };
    return sorted;
  }
}
