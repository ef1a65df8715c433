/**
 * Semi-joins (`field IN (SELECT Id FROM Opportunity WHERE ...)`) and anti-joins (`NOT IN`), with
 * the restrictions Salesforce enforces (SOQL guide, "Semi-Join and Anti-Join Restrictions"):
 * only in the top-level AND of the main WHERE, at most two, never nested, never inside NOT or
 * OR; the inner select is one plain Id or reference field of another object, without ORDER BY
 * or LIMIT; the left operand is an Id or reference field of the queried object. Quoted error
 * texts are Salesforce's own; the two marked "(wording ours)" could not be checked.
 *
 * Each subquery runs once, before the outer query, and becomes an ordinary `IN` list of ids, so
 * the org's id lookups (soql/hints.ts) serve the outer query as they do for an explicit list.
 */
import { type Cond, type Literal, type Query, SoqlError } from './parse.ts';
import type { FieldDef, ObjectDef } from './schema.ts';

type Semi = Extract<Cond, { kind: 'semi' }>;

const MAX_SEMI_JOINS = 2;
/** Salesforce refuses these as the inner object of a semi-join. */
const NO_INNER = new Set(['task', 'event', 'activityhistory', 'openactivity', 'note', 'attachment', 'eventattendee']);
const ID_TYPES: ReadonlySet<string> = new Set(['id', 'reference']);

const malformed = (message: string, pos: number) => new SoqlError('MALFORMED_QUERY', message, pos);

/** The terms of the top-level AND (nested ANDs flattened): the only place a semi-join may sit. */
function topTerms(c: Cond): Cond[] {
  return c.kind === 'and' ? c.items.flatMap(topTerms) : [c];
}

function semisIn(c: Cond): Semi[] {
  switch (c.kind) {
    case 'semi':
      return [c];
    case 'and':
    case 'or':
      return c.items.flatMap(semisIn);
    case 'not':
      return semisIn(c.item);
    default:
      return [];
  }
}

/** Semi-joins of a WHERE clause in order, after the placement rules; none → []. */
export function semiJoinsOf(where: Cond | null): Semi[] {
  if (!where) return [];
  const all = semisIn(where);
  if (!all.length) return all;
  const top = new Set(topTerms(where));
  for (const s of all) {
    if (top.has(s)) continue;
    if (where.kind === 'or' && where.items.includes(s))
      throw malformed("Semi join sub-selects are not allowed with the 'OR' operator", s.pos);
    throw malformed(
      'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.',
      s.pos,
    );
  }
  if (all.length > MAX_SEMI_JOINS) throw malformed(`Maximum ${MAX_SEMI_JOINS} semi join sub-selects are allowed`, all[MAX_SEMI_JOINS]!.pos);
  for (const s of all) checkInnerShape(s.query, s);
  return all;
}

/** Child-relationship subqueries take no semi-joins: only the main WHERE does. */
export function noSemiJoinsIn(where: Cond | null): void {
  const s = where ? semisIn(where)[0] : undefined;
  if (s)
    throw malformed(
      'Semi join sub-selects are only allowed at the top level WHERE expressions and not in nested WHERE expressions.',
      s.pos,
    );
}

function checkInnerShape(q: Query, s: Semi): void {
  const nested = q.where ? semisIn(q.where)[0] : undefined;
  if (nested) throw malformed('Nesting of semi join sub-selects is not supported', nested.pos);
  if (NO_INNER.has(q.from.toLowerCase())) throw malformed(`Entity '${q.from}' is not supported for semi join inner selects`, q.fromPos);
  const [first, second] = q.select;
  if (second) throw malformed("unexpected token: ','", second.pos);
  if (first?.kind !== 'field') {
    const shown = first?.kind === 'agg' ? `${first.fn}(${first.path?.join('.') ?? ''})` : 'subquery';
    throw malformed(`semi join sub selects can only query id fields, cannot use: '${shown}'`, first?.pos ?? s.queryPos);
  }
  if (first.path.length > 1) throw malformed('inner select field cannot have more than one level of relationships', first.pos);
  if (q.orderBy.length) throw malformed('unexpected token: ORDER', q.orderBy[0]!.pos);
  if (q.limit !== null || q.offset !== null) throw malformed(`unexpected token: ${q.limit !== null ? 'LIMIT' : 'OFFSET'}`, s.queryPos);
}

/** Checks that need the schema: the left operand and the inner field, and the two objects. */
export function checkSemiJoinFields(s: Semi, outer: ObjectDef, left: FieldDef, inner: ObjectDef, innerField: FieldDef): void {
  if (inner.name === outer.name) throw malformed('The inner and outer selects should not be on the same object type', s.query.fromPos);
  if (s.path.length > 1 || !ID_TYPES.has(left.type)) {
    // (wording ours) Salesforce requires an Id or reference field on the left; its message is unverified.
    throw malformed(`semi join sub selects can only be compared with id fields, cannot use: '${s.path.join('.')}'`, s.pos);
  }
  if (!ID_TYPES.has(innerField.type))
    throw malformed(`semi join sub selects can only query id fields, cannot use: '${innerField.name}'`, s.query.select[0]!.pos);
}

/** The WHERE clause with each semi-join replaced by the IN list its subquery produced. */
export function withIdLists(where: Cond, lists: Map<Semi, string[]>): Cond {
  switch (where.kind) {
    case 'semi': {
      const ids = lists.get(where)!;
      const values: Literal[] = ids.map((value) => ({ kind: 'string', value, pos: where.queryPos }));
      return { kind: 'in', path: where.path, pos: where.pos, not: where.not, values };
    }
    case 'and':
    case 'or':
      return { kind: where.kind, items: where.items.map((i) => withIdLists(i, lists)) };
    case 'not':
      return { kind: 'not', item: withIdLists(where.item, lists) };
    default:
      return where;
  }
}

/** A key for a subquery that ignores token positions: the same inner select from two queries matches. */
export function subqueryKey(q: Query, all: boolean): string {
  return JSON.stringify([all, q], (k, v) => (k === 'pos' || k === 'fromPos' || k === 'queryPos' ? undefined : v));
}
