import { formatSfValue } from './format.ts';
import { type Cond, type Literal, parseSoql, type Query, type SelectItem, SoqlError } from './parse.ts';
import { type Catalog, type ChildRelationship, type FieldDef, fieldOf, type ObjectDef, type Row, type SfType } from './schema.ts';
import { checkSemiJoinFields, noSemiJoinsIn, semiJoinsOf, subqueryKey, withIdLists } from './semi-join.ts';

type Accessor = { get: (row: Row) => unknown; type: SfType; field: FieldDef; name: string };

const DAY = 86_400_000;
const noSuchColumn = (name: string, obj: string, pos: number) =>
  new SoqlError(
    'INVALID_FIELD',
    `No such column '${name}' on entity '${obj}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`,
    pos,
  );

/** Resolves a (relationship) path to an accessor, or throws Salesforce's INVALID_FIELD. */
function resolve(cat: Catalog, obj: ObjectDef, path: string[], pos: number): Accessor {
  let current = obj;
  const hops: FieldDef[] = [];
  for (let i = 0; i < path.length - 1; i++) {
    const rel = current.fields.find((f) => f.relationshipName?.toLowerCase() === path[i]!.toLowerCase());
    const target = rel?.referenceTo?.[0] ? cat.describe(rel.referenceTo[0]) : null;
    if (!rel || !target) {
      throw new SoqlError(
        'INVALID_FIELD',
        `Didn't understand relationship '${path[i]}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        pos,
      );
    }
    hops.push(rel);
    current = target;
  }
  const leaf = path[path.length - 1]!;
  const field = fieldOf(current, leaf);
  if (!field) throw noSuchColumn(leaf, current.name, pos);
  const targets = hops.map((h) => h.referenceTo![0]!);
  return {
    type: field.type,
    field,
    name: field.name,
    get(row) {
      let r: Row | null = row;
      for (let i = 0; i < hops.length && r; i++) {
        const id = r.get(hops[i]!.name);
        r = typeof id === 'string' ? cat.byId(targets[i]!, id) : null;
      }
      return r ? (r.get(field.name) ?? null) : null;
    },
  };
}

function relativeRange(lit: Extract<Literal, { kind: 'relative' }>, now: number): [number, number] {
  const today = Math.floor(now / DAY) * DAY;
  const d = new Date(today);
  const monthStart = (offset: number) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1);
  const weekStart = today - d.getUTCDay() * DAY;
  const n = lit.n ?? 0;
  switch (lit.name) {
    case 'TODAY':
      return [today, today + DAY];
    case 'YESTERDAY':
      return [today - DAY, today];
    case 'TOMORROW':
      return [today + DAY, today + 2 * DAY];
    case 'THIS_WEEK':
      return [weekStart, weekStart + 7 * DAY];
    case 'LAST_WEEK':
      return [weekStart - 7 * DAY, weekStart];
    case 'THIS_MONTH':
      return [monthStart(0), monthStart(1)];
    case 'LAST_MONTH':
      return [monthStart(-1), monthStart(0)];
    case 'NEXT_MONTH':
      return [monthStart(1), monthStart(2)];
    case 'THIS_YEAR':
      return [Date.UTC(d.getUTCFullYear(), 0, 1), Date.UTC(d.getUTCFullYear() + 1, 0, 1)];
    case 'LAST_N_DAYS':
      return [today - n * DAY, today + DAY];
    case 'NEXT_N_DAYS':
      return [today + DAY, today + (n + 1) * DAY];
    case 'N_DAYS_AGO':
      return [today - n * DAY, today - (n - 1) * DAY];
    case 'LAST_90_DAYS':
      return [today - 90 * DAY, today + DAY];
    default:
      return [today + DAY, today + 91 * DAY];
  }
}

const NUMERIC: ReadonlySet<SfType> = new Set(['int', 'double', 'currency', 'percent']);
const TEXTUAL: ReadonlySet<SfType> = new Set(['string', 'textarea', 'picklist', 'email', 'phone', 'url']);

/**
 * Ids compare by their case-sensitive 15-character body (the 3-character suffix only makes
 * them case-insensitive-safe), so 15 and 18 characters match, and `Id >= x` ranges follow
 * Salesforce's order (0-9 < A-Z < a-z), the order the connector's id-range pages rely on.
 */
const idKey = (id: string): string => (/^[a-zA-Z0-9]{18}$/.test(id) ? id.slice(0, 15) : id);

/** A literal as a comparable value for this field (or a [from, to) range for relative dates). */
function coerce(acc: Accessor, lit: Literal, now: number): unknown {
  const t = acc.type;
  const wrongType = (want: string) =>
    new SoqlError(
      'INVALID_FIELD',
      `value of filter criterion for field '${acc.name}' must be of type ${want} and should not be enclosed in quotes`,
      lit.pos,
    );
  if (lit.kind === 'null') return null;
  if (t === 'datetime' || t === 'date') {
    if (lit.kind === 'relative') return relativeRange(lit, now);
    if (t === 'datetime' && lit.kind === 'datetime') return lit.value;
    if (t === 'date' && lit.kind === 'date') return lit.value;
    throw wrongType(t === 'datetime' ? 'dateTime' : 'date');
  }
  if (NUMERIC.has(t)) {
    if (lit.kind !== 'number') throw wrongType(t === 'int' ? 'int' : 'double');
    return lit.value;
  }
  if (t === 'boolean') {
    if (lit.kind !== 'boolean') throw wrongType('boolean');
    return lit.value;
  }
  if (lit.kind !== 'string') throw wrongType('string');
  return t === 'id' || t === 'reference' ? idKey(lit.value) : lit.value.toLowerCase();
}

function norm(v: unknown, t: SfType): unknown {
  if (v === undefined) return null;
  if (typeof v === 'string' && (t === 'id' || t === 'reference')) return idKey(v);
  if (typeof v === 'string' && TEXTUAL.has(t)) return v.toLowerCase();
  return v;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

type Pred = (row: Row) => boolean;

function compileCond(cat: Catalog, obj: ObjectDef, c: Cond, now: number): Pred {
  switch (c.kind) {
    case 'and': {
      const ps = c.items.map((i) => compileCond(cat, obj, i, now));
      return (r) => ps.every((p) => p(r));
    }
    case 'or': {
      const ps = c.items.map((i) => compileCond(cat, obj, i, now));
      return (r) => ps.some((p) => p(r));
    }
    case 'not': {
      const p = compileCond(cat, obj, c.item, now);
      return (r) => !p(r);
    }
    case 'like': {
      const acc = resolve(cat, obj, c.path, c.pos);
      const re = new RegExp(
        `^${c.pattern
          .replace(/[.+?^${}()|[\]\\*]/g, '\\$&')
          .replace(/%/g, '[\\s\\S]*')
          .replace(/_/g, '[\\s\\S]')}$`,
        'i',
      );
      return (r) => {
        const v = acc.get(r);
        return v !== null && re.test(String(v));
      };
    }
    case 'semi':
      throw new Error('semi-joins are resolved before the query runs (resolveSemiJoins)');
    case 'in': {
      const acc = resolve(cat, obj, c.path, c.pos);
      const set = new Set(c.values.map((v) => coerce(acc, v, now)));
      return (r) => set.has(norm(acc.get(r), acc.type)) !== c.not;
    }
    case 'cmp': {
      const acc = resolve(cat, obj, c.path, c.pos);
      const want = coerce(acc, c.value, now);
      if (Array.isArray(want)) {
        const [lo, hi] = want as [number, number];
        return (r) => {
          const v = acc.get(r);
          if (typeof v !== 'number') return c.op === '!=';
          switch (c.op) {
            case '=':
              return v >= lo && v < hi;
            case '!=':
              return !(v >= lo && v < hi);
            case '<':
              return v < lo;
            case '<=':
              return v < hi;
            case '>':
              return v >= hi;
            default:
              return v >= lo;
          }
        };
      }
      return (r) => {
        const v = norm(acc.get(r), acc.type);
        if (c.op === '=') return want === null ? v === null : v !== null && compare(v, want) === 0;
        if (c.op === '!=') return want === null ? v !== null : v === null || compare(v, want) !== 0;
        if (v === null || want === null) return false;
        const k = compare(v, want);
        return c.op === '<' ? k < 0 : c.op === '<=' ? k <= 0 : c.op === '>' ? k > 0 : k >= 0;
      };
    }
  }
}

export interface QueryAnswer {
  totalSize: number;
  /** Records still to render (already filtered, sorted, limited). */
  rows: Row[];
  render: (row: Row, version: string) => Record<string, unknown>;
  /** Aggregate queries answer with ready records. */
  aggregate: Record<string, unknown>[] | null;
  object: ObjectDef;
  /** Long text area columns selected (they shrink a REST query batch; see salesforce/query.ts). */
  longTextColumns: number;
}

function describeOrThrow(cat: Catalog, name: string, pos: number): ObjectDef {
  const obj = cat.describe(name);
  if (!obj) {
    throw new SoqlError(
      'INVALID_TYPE',
      `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      pos,
    );
  }
  return obj;
}

type Renderer = (row: Row, version: string, out: Record<string, unknown>) => void;

function attributes(obj: ObjectDef, id: string, version: string) {
  return { type: obj.name, url: `/services/data/v${version}/sobjects/${obj.name}/${id}` };
}

/** Builds the renderer for one select item: nested relationship objects as Salesforce nests them. */
function compileSelect(cat: Catalog, obj: ObjectDef, item: SelectItem, all: boolean): Renderer {
  if (item.kind === 'sub') {
    const rel = obj.childRelationships.find((c) => c.relationshipName.toLowerCase() === item.query.from.toLowerCase());
    if (!rel) {
      throw new SoqlError(
        'INVALID_TYPE',
        `Didn't understand relationship '${item.query.from}' in FROM part of query call. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`,
        item.pos,
      );
    }
    const child = describeOrThrow(cat, rel.childSObject, item.pos);
    noSemiJoinsIn(item.query.where);
    const sub = compileRows(cat, child, item.query, all);
    return (row, version, out) => {
      const rows = sub.select(cat.children(rel, row.id, { all }));
      out[rel.relationshipName] = rows.length
        ? { totalSize: rows.length, done: true, records: rows.map((r) => sub.render(r, version)) }
        : null;
    };
  }
  if (item.kind === 'agg') throw new SoqlError('MALFORMED_QUERY', 'Field must be grouped or aggregated', item.pos);
  const path = item.path;
  const acc = resolve(cat, obj, path, item.pos);
  if (path.length === 1)
    return (row, _v, out) => {
      out[acc.name] = formatSfValue(acc.type, acc.get(row));
    };
  // Relationship path: walk the parents, nesting one object per hop (null when a hop is empty).
  return (row, version, out) => {
    let target = out;
    let current: Row | null = row;
    let currentObj = obj;
    for (let i = 0; i < path.length - 1; i++) {
      const rel = currentObj.fields.find((f) => f.relationshipName?.toLowerCase() === path[i]!.toLowerCase())!;
      const parentObj = cat.describe(rel.referenceTo![0]!)!;
      const id: unknown = current ? current.get(rel.name) : null;
      current = typeof id === 'string' ? cat.byId(parentObj.name, id) : null;
      if (!current) {
        if (!(rel.relationshipName! in target)) target[rel.relationshipName!] = null;
        return;
      }
      const existing = target[rel.relationshipName!] as Record<string, unknown> | null | undefined;
      const nested = existing ?? { attributes: attributes(parentObj, current.id, version) };
      target[rel.relationshipName!] = nested;
      target = nested;
      currentObj = parentObj;
    }
    target[acc.name] = formatSfValue(acc.type, acc.get(row));
  };
}

function compileRows(cat: Catalog, obj: ObjectDef, q: Query, all: boolean) {
  const now = cat.now();
  const where = q.where ? compileCond(cat, obj, q.where, now) : null;
  const renderers = q.select.map((s) => compileSelect(cat, obj, s, all));
  const order = q.orderBy.map((o) => ({ ...o, acc: resolve(cat, obj, o.path, o.pos) }));
  return {
    select(source: Iterable<Row>): Row[] {
      let rows: Row[] = [];
      for (const r of source) if (!where || where(r)) rows.push(r);
      if (order.length) {
        const keyed = rows.map((r) => ({ r, k: order.map((o) => norm(o.acc.get(r), o.acc.type)) }));
        keyed.sort((a, b) => {
          for (let i = 0; i < order.length; i++) {
            const o = order[i]!;
            const x = a.k[i];
            const y = b.k[i];
            if (x === y) continue;
            if (x === null) return o.nullsLast ? 1 : -1;
            if (y === null) return o.nullsLast ? -1 : 1;
            const c = compare(x, y);
            if (c !== 0) return o.desc ? -c : c;
          }
          return 0;
        });
        rows = keyed.map((k) => k.r);
      }
      const from = q.offset ?? 0;
      return rows.slice(from, q.limit === null ? undefined : from + q.limit);
    },
    render(row: Row, version: string): Record<string, unknown> {
      const out: Record<string, unknown> = { attributes: attributes(obj, row.id, version) };
      for (const r of renderers) r(row, version, out);
      return out;
    },
  };
}

function aggregate(cat: Catalog, obj: ObjectDef, q: Query, rows: Row[]): Record<string, unknown>[] {
  const groups = q.groupBy.map((g) => resolve(cat, obj, g.path, g.pos));
  const buckets = new Map<string, Row[]>();
  for (const r of rows) {
    const key = JSON.stringify(groups.map((g) => g.get(r)));
    const b = buckets.get(key);
    if (b) b.push(r);
    else buckets.set(key, [r]);
  }
  if (!groups.length && !buckets.size) buckets.set('[]', []);
  let exprN = 0;
  const items = q.select.map((s) => {
    if (s.kind === 'sub') throw new SoqlError('MALFORMED_QUERY', 'subqueries are not allowed in aggregate queries', s.pos);
    if (s.kind === 'field') {
      const acc = resolve(cat, obj, s.path, s.pos);
      if (!groups.some((g) => g.field === acc.field))
        throw new SoqlError('MALFORMED_QUERY', `Field must be grouped or aggregated: ${acc.name}`, s.pos);
      return { name: acc.name, fn: null, acc };
    }
    const acc = s.path ? resolve(cat, obj, s.path, s.pos) : null;
    return { name: s.alias ?? `expr${exprN++}`, fn: s.fn, acc };
  });
  return [...buckets.values()].map((bucket) => {
    const out: Record<string, unknown> = { attributes: { type: 'AggregateResult' } };
    for (const it of items) {
      if (!it.fn) {
        out[it.name] = formatSfValue(it.acc!.type, bucket.length ? it.acc!.get(bucket[0]!) : null);
        continue;
      }
      const vals = it.acc ? bucket.map((r) => it.acc!.get(r)).filter((v) => v !== null && v !== undefined) : bucket;
      let v: unknown;
      if (it.fn === 'COUNT') v = vals.length;
      else if (it.fn === 'COUNT_DISTINCT') v = new Set(vals).size;
      else if (!vals.length) v = null;
      else if (it.fn === 'SUM') v = (vals as number[]).reduce((a, b) => a + b, 0);
      else if (it.fn === 'AVG') v = (vals as number[]).reduce((a, b) => a + b, 0) / vals.length;
      else v = vals.reduce((a, b) => (compare(a, b) < 0 === (it.fn === 'MIN') ? a : b));
      out[it.name] = it.acc && (it.fn === 'MIN' || it.fn === 'MAX') ? formatSfValue(it.acc.type, v) : v;
    }
    return out;
  });
}

/** Ids a semi-join subquery produced, by subqueryKey; the caller drops it when the data changes. */
export type SemiJoinMemo = Map<string, string[]>;

/** Runs each semi-join's subquery and puts its ids in its place (see soql/semi-join.ts). */
function resolveSemiJoins(cat: Catalog, obj: ObjectDef, q: Query, all: boolean, memo?: SemiJoinMemo): void {
  const semis = semiJoinsOf(q.where);
  if (!semis.length) return;
  const lists = new Map<(typeof semis)[number], string[]>();
  for (const s of semis) {
    const left = resolve(cat, obj, s.path, s.pos);
    const inner = describeOrThrow(cat, s.query.from, s.query.fromPos);
    const item = s.query.select[0] as Extract<SelectItem, { kind: 'field' }>;
    const innerAcc = resolve(cat, inner, item.path, item.pos);
    checkSemiJoinFields(s, obj, left.field, inner, innerAcc.field);
    const key = subqueryKey(s.query, all);
    let ids = memo?.get(key);
    if (!ids) {
      const where = s.query.where ? compileCond(cat, inner, s.query.where, cat.now()) : null;
      const seen = new Set<string>();
      for (const r of cat.rows(inner.name, { all, where: s.query.where })) {
        if (where && !where(r)) continue;
        const v = innerAcc.get(r);
        if (typeof v === 'string') seen.add(v);
      }
      ids = [...seen];
      memo?.set(key, ids);
    }
    lists.set(s, ids);
  }
  q.where = withIdLists(q.where!, lists);
}

/** Parses and runs a SOQL query against the catalog. Throws SoqlError (Salesforce's codes). */
export function runSoql(cat: Catalog, soql: string, opts: { all: boolean; semiJoinMemo?: SemiJoinMemo }): QueryAnswer {
  const q = parseSoql(soql);
  const obj = describeOrThrow(cat, q.from, q.fromPos);
  resolveSemiJoins(cat, obj, q, opts.all, opts.semiJoinMemo);
  const hasAgg = q.select.some((s) => s.kind === 'agg');
  if (q.countOnly || hasAgg) {
    const where = q.where ? compileCond(cat, obj, q.where, cat.now()) : null;
    const rows: Row[] = [];
    for (const r of cat.rows(obj.name, { all: opts.all, where: q.where })) if (!where || where(r)) rows.push(r);
    if (q.countOnly) {
      const n = q.limit === null ? rows.length : Math.min(rows.length, q.limit);
      return { totalSize: n, rows: [], render: () => ({}), aggregate: [], object: obj, longTextColumns: 0 };
    }
    const from = q.offset ?? 0;
    const records = aggregate(cat, obj, q, rows).slice(from, q.limit === null ? undefined : from + q.limit);
    return { totalSize: records.length, rows: [], render: () => ({}), aggregate: records, object: obj, longTextColumns: 0 };
  }
  const compiled = compileRows(cat, obj, q, opts.all);
  const rows = compiled.select(cat.rows(obj.name, { all: opts.all, where: q.where }));
  const longTextColumns = q.select.filter((s) => s.kind === 'field' && isLongText(resolve(cat, obj, s.path, s.pos).field)).length;
  return { totalSize: rows.length, rows, render: compiled.render, aggregate: null, object: obj, longTextColumns };
}

/** A Long Text Area (or Rich Text Area) field: a textarea longer than a plain Text Area's 255. */
const isLongText = (f: FieldDef): boolean => f.type === 'textarea' && (f.length ?? 0) > 255;

/** Salesforce's error message for a query problem: the query, a caret, the position, the reason. */
export function soqlErrorMessage(soql: string, e: SoqlError): string {
  const caret = `${' '.repeat(Math.max(0, e.pos - 1))}^`;
  return `\n${soql}\n${caret}\nERROR at Row:1:Column:${e.pos}\n${e.message}`;
}

export type { ChildRelationship };
