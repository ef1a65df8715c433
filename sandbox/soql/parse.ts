/**
 * The SOQL subset the sandbox understands: SELECT fields (relationship paths, child subqueries,
 * COUNT()/COUNT(f)/MIN/MAX/SUM/AVG with GROUP BY), FROM, WHERE (AND/OR/NOT, = != <> < <= > >=,
 * IN/NOT IN with values or a semi-/anti-join subquery, LIKE, date and datetime literals, TODAY /
 * LAST_N_DAYS:n ...), ORDER BY, LIMIT, OFFSET. Errors carry the 1-based column, as Salesforce
 * reports them. Semi-join restrictions are checked against the schema in soql/semi-join.ts.
 */

export class SoqlError extends Error {
  constructor(
    readonly code: 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE',
    message: string,
    readonly pos: number,
  ) {
    super(message);
  }
}

export type Literal =
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'boolean'; value: boolean; pos: number }
  | { kind: 'null'; pos: number }
  | { kind: 'date'; value: number; pos: number }
  | { kind: 'datetime'; value: number; pos: number }
  /** TODAY, LAST_N_DAYS:30 ...: resolved against the clock when evaluated. */
  | { kind: 'relative'; name: string; n: number | null; pos: number };

/**
 * Salesforce documents no count for an IN list, only the statement (100,000 characters) and the
 * URI (16,384 bytes); its nearest count is "500 junction IDs per query" (MALFORMED_QUERY, limits
 * cheat sheet). The sandbox holds every literal IN list to that (docs/crm-limits.md).
 */
const IN_LIST_MAX = 500;

export type AggFn = 'COUNT' | 'COUNT_DISTINCT' | 'MIN' | 'MAX' | 'SUM' | 'AVG';

export type SelectItem =
  | { kind: 'field'; path: string[]; pos: number }
  | { kind: 'agg'; fn: AggFn; path: string[] | null; alias: string | null; pos: number }
  | { kind: 'sub'; query: Query; pos: number };

export type Cond =
  | { kind: 'and' | 'or'; items: Cond[] }
  | { kind: 'not'; item: Cond }
  | { kind: 'cmp'; path: string[]; pos: number; op: '=' | '!=' | '<' | '<=' | '>' | '>='; value: Literal }
  | { kind: 'in'; path: string[]; pos: number; not: boolean; values: Literal[] }
  /** `field [NOT] IN (SELECT ...)`: a semi-join (anti-join with NOT). */
  | { kind: 'semi'; path: string[]; pos: number; not: boolean; query: Query; queryPos: number }
  | { kind: 'like'; path: string[]; pos: number; pattern: string };

export interface OrderItem {
  path: string[];
  pos: number;
  desc: boolean;
  nullsLast: boolean;
}

export interface Query {
  select: SelectItem[];
  /** True for `SELECT COUNT()`: the answer is only totalSize. */
  countOnly: boolean;
  from: string;
  fromPos: number;
  where: Cond | null;
  groupBy: Array<{ path: string[]; pos: number }>;
  orderBy: OrderItem[];
  limit: number | null;
  offset: number | null;
}

type Tok =
  | { t: 'id'; v: string; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'date'; v: number; pos: number }
  | { t: 'datetime'; v: number; pos: number }
  | { t: 'op'; v: string; pos: number }
  | { t: 'eof'; pos: number };

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?(Z|[+-]\d{2}:?\d{2})/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?![\d:T])/;

function datetimeValue(m: RegExpExecArray): number {
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  let t = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s!, frac ? Math.round(Number(frac) * 1000) : 0);
  if (tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    t -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60_000;
  }
  return t;
}

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const rest = src.slice(i);
    const pos = i + 1;
    const datetime = DATETIME.exec(rest);
    if (datetime) {
      out.push({ t: 'datetime', v: datetimeValue(datetime), pos });
      i += datetime[0].length;
      continue;
    }
    const date = DATE.exec(rest);
    if (date) {
      out.push({ t: 'date', v: Date.UTC(+date[1]!, +date[2]! - 1, +date[3]!), pos });
      i += date[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?/.exec(rest);
    const minusAfterValue = c === '-' && /[\w)]/.test(out.length ? String((out[out.length - 1] as { v?: unknown }).v ?? '') : '');
    if (num && !minusAfterValue) {
      out.push({ t: 'num', v: Number(num[0]), pos });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:\d+)?/.exec(rest);
    if (id) {
      out.push({ t: 'id', v: id[0], pos });
      i += id[0].length;
      continue;
    }
    if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < src.length && src[j] !== "'") {
        if (src[j] === '\\' && j + 1 < src.length) {
          const e = src[j + 1]!;
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          j += 2;
        } else s += src[j++];
      }
      if (j >= src.length) throw new SoqlError('MALFORMED_QUERY', 'unexpected token: end of query (unterminated string)', pos);
      out.push({ t: 'str', v: s, pos });
      i = j + 1;
      continue;
    }
    const op = /^(<=|>=|!=|<>|=|<|>|\(|\)|,)/.exec(rest);
    if (!op) throw new SoqlError('MALFORMED_QUERY', `unexpected token: '${c}'`, pos);
    out.push({ t: 'op', v: op[0] === '<>' ? '!=' : op[0], pos });
    i += op[0].length;
  }
  out.push({ t: 'eof', pos: src.length + 1 });
  return out;
}

const AGGS = new Set(['COUNT', 'COUNT_DISTINCT', 'MIN', 'MAX', 'SUM', 'AVG']);
const RELATIVE =
  /^(TODAY|YESTERDAY|TOMORROW|THIS_WEEK|LAST_WEEK|THIS_MONTH|LAST_MONTH|NEXT_MONTH|THIS_YEAR|LAST_N_DAYS|NEXT_N_DAYS|N_DAYS_AGO|LAST_90_DAYS|NEXT_90_DAYS)$/i;

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }
  private isKw(word: string, tok = this.peek()): boolean {
    return tok.t === 'id' && tok.v.toUpperCase() === word;
  }
  private kw(word: string): void {
    const t = this.next();
    if (!this.isKw(word, t)) throw this.unexpected(t);
  }
  private op(v: string): void {
    const t = this.next();
    if (t.t !== 'op' || t.v !== v) throw this.unexpected(t);
  }
  private unexpected(t: Tok): SoqlError {
    const shown = t.t === 'eof' ? '<EOF>' : t.t === 'str' ? `'${t.v}'` : String(t.v);
    return new SoqlError('MALFORMED_QUERY', `unexpected token: ${shown}`, t.pos);
  }
  private ident(): { v: string; pos: number } {
    const t = this.next();
    if (t.t !== 'id') throw this.unexpected(t);
    return t;
  }

  query(): Query {
    this.kw('SELECT');
    const select: SelectItem[] = [];
    let countOnly = false;
    do {
      const t = this.peek();
      if (t.t === 'op' && t.v === '(') {
        this.next();
        const sub = this.query();
        this.op(')');
        select.push({ kind: 'sub', query: sub, pos: t.pos });
        continue;
      }
      const id = this.ident();
      const next = this.peek();
      if (AGGS.has(id.v.toUpperCase()) && next.t === 'op' && next.v === '(') {
        this.next();
        let path: string[] | null = null;
        if (!(this.peek().t === 'op' && (this.peek() as { v: string }).v === ')')) path = this.ident().v.split('.');
        this.op(')');
        if (!path && id.v.toUpperCase() === 'COUNT' && select.length === 0 && this.isKw('FROM')) countOnly = true;
        let alias: string | null = null;
        if (this.peek().t === 'id' && !this.isKw('FROM') && !(this.peek().t === 'op')) alias = this.ident().v;
        select.push({ kind: 'agg', fn: id.v.toUpperCase() as AggFn, path, alias, pos: id.pos });
      } else {
        select.push({ kind: 'field', path: id.v.split('.'), pos: id.pos });
      }
    } while (this.peek().t === 'op' && (this.peek() as { v: string }).v === ',' && this.next());
    this.kw('FROM');
    const from = this.ident();
    const q: Query = {
      select,
      countOnly,
      from: from.v,
      fromPos: from.pos,
      where: null,
      groupBy: [],
      orderBy: [],
      limit: null,
      offset: null,
    };
    if (this.isKw('WITH')) {
      this.next();
      this.ident();
    }
    if (this.isKw('WHERE')) {
      this.next();
      q.where = this.orExpr();
    }
    if (this.isKw('WITH')) {
      this.next();
      this.ident();
    }
    if (this.isKw('GROUP')) {
      this.next();
      this.kw('BY');
      do {
        const f = this.ident();
        q.groupBy.push({ path: f.v.split('.'), pos: f.pos });
      } while (this.peek().t === 'op' && (this.peek() as { v: string }).v === ',' && this.next());
    }
    if (this.isKw('ORDER')) {
      this.next();
      this.kw('BY');
      do {
        const f = this.ident();
        let desc = false;
        if (this.isKw('ASC')) this.next();
        else if (this.isKw('DESC')) {
          this.next();
          desc = true;
        }
        let nullsLast = desc;
        if (this.isKw('NULLS')) {
          this.next();
          const w = this.ident().v.toUpperCase();
          if (w !== 'FIRST' && w !== 'LAST') throw new SoqlError('MALFORMED_QUERY', `unexpected token: ${w}`, f.pos);
          nullsLast = w === 'LAST';
        }
        q.orderBy.push({ path: f.v.split('.'), pos: f.pos, desc, nullsLast });
      } while (this.peek().t === 'op' && (this.peek() as { v: string }).v === ',' && this.next());
    }
    if (this.isKw('LIMIT')) {
      this.next();
      const n = this.next();
      if (n.t !== 'num' || !Number.isInteger(n.v) || n.v < 0) throw this.unexpected(n);
      q.limit = n.v;
    }
    if (this.isKw('OFFSET')) {
      this.next();
      const n = this.next();
      if (n.t !== 'num' || !Number.isInteger(n.v) || n.v < 0) throw this.unexpected(n);
      q.offset = n.v;
    }
    if (this.isKw('FOR')) {
      this.next();
      this.ident();
    }
    return q;
  }

  end(): void {
    const t = this.peek();
    if (t.t !== 'eof') throw this.unexpected(t);
  }

  private orExpr(): Cond {
    const items = [this.andExpr()];
    while (this.isKw('OR')) {
      this.next();
      items.push(this.andExpr());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private andExpr(): Cond {
    const items = [this.notExpr()];
    while (this.isKw('AND')) {
      this.next();
      items.push(this.notExpr());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private notExpr(): Cond {
    if (this.isKw('NOT')) {
      this.next();
      return { kind: 'not', item: this.notExpr() };
    }
    const t = this.peek();
    if (t.t === 'op' && t.v === '(') {
      this.next();
      const c = this.orExpr();
      this.op(')');
      return c;
    }
    return this.comparison();
  }

  private comparison(): Cond {
    const f = this.ident();
    const path = f.v.split('.');
    if (this.isKw('NOT') || this.isKw('IN')) {
      const not = this.isKw('NOT');
      if (not) this.next();
      this.kw('IN');
      this.op('(');
      if (this.isKw('SELECT')) {
        const queryPos = this.peek().pos;
        const query = this.query();
        this.op(')');
        return { kind: 'semi', path, pos: f.pos, not, query, queryPos };
      }
      const values: Literal[] = [];
      do values.push(this.literal());
      while (this.peek().t === 'op' && (this.peek() as { v: string }).v === ',' && this.next());
      this.op(')');
      if (values.length > IN_LIST_MAX)
        throw new SoqlError('MALFORMED_QUERY', `IN lists are limited to ${IN_LIST_MAX} values, got ${values.length}`, f.pos);
      return { kind: 'in', path, pos: f.pos, not, values };
    }
    if (this.isKw('LIKE')) {
      this.next();
      const s = this.next();
      if (s.t !== 'str') throw this.unexpected(s);
      return { kind: 'like', path, pos: f.pos, pattern: s.v };
    }
    const o = this.next();
    if (o.t !== 'op' || !['=', '!=', '<', '<=', '>', '>='].includes(o.v)) throw this.unexpected(o);
    return { kind: 'cmp', path, pos: f.pos, op: o.v as '=', value: this.literal() };
  }

  private literal(): Literal {
    const t = this.next();
    switch (t.t) {
      case 'str':
        return { kind: 'string', value: t.v, pos: t.pos };
      case 'num':
        return { kind: 'number', value: t.v, pos: t.pos };
      case 'date':
        return { kind: 'date', value: t.v, pos: t.pos };
      case 'datetime':
        return { kind: 'datetime', value: t.v, pos: t.pos };
      case 'id': {
        const u = t.v.toUpperCase();
        if (u === 'TRUE' || u === 'FALSE') return { kind: 'boolean', value: u === 'TRUE', pos: t.pos };
        if (u === 'NULL') return { kind: 'null', pos: t.pos };
        const [name, n] = u.split(':');
        if (RELATIVE.test(name!)) return { kind: 'relative', name: name!, n: n === undefined ? null : Number(n), pos: t.pos };
        throw this.unexpected(t);
      }
      default:
        throw this.unexpected(t);
    }
  }
}

export function parseSoql(src: string): Query {
  const p = new Parser(tokenize(src));
  const q = p.query();
  p.end();
  return q;
}
