import { isBlank, parseBoolean, parseNumber } from '../../src/mapping/parse-value.ts';
import type { ValueType } from '../../src/mapping/schema.ts';
import type { SourceField } from '../types.ts';

/** Distinct values up to which a text column is offered as a list of options (for value maps). */
export const MAX_OPTIONS = 25;
/** Nesting followed: lookups (`accounts.Industry`), stored CRM records (`_derived.company.industry`). */
const MAX_DEPTH = 3;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/;
/** `27-Mar-12`, `3/27/2012`, `27.03.2012`: a date the mapping reads with `formats`. */
const LOOKS_LIKE_DATE = /^\d{1,2}[-/. ](?:\d{1,2}|[A-Za-z]{3,9})[-/. ]\d{2,4}$/;

const is = (values: readonly unknown[], read: (v: unknown) => unknown): boolean =>
  values.every((v) => {
    try {
      read(v);
      return true;
    } catch {
      // Not this type: the caller tries the next.
      return false;
    }
  });

/** What a column holds, from the values seen: the type a person would name, and how the mapping reads it. */
export function inferType(values: readonly unknown[]): { type: string; valueType: ValueType } {
  if (values.length === 0) return { type: 'empty', valueType: 'string' };
  if (values.every((v) => Array.isArray(v))) {
    const history = values.every((v) =>
      (v as unknown[]).every((e) => e !== null && typeof e === 'object' && 'stage' in e && 'enteredAt' in e),
    );
    return history ? { type: 'stage history', valueType: 'stage_history' } : { type: 'list', valueType: 'string' };
  }
  if (
    values.every((v) => typeof v === 'boolean') ||
    (values.every((v) => typeof v === 'string') && is(values, parseBoolean) && !is(values, parseNumber))
  ) {
    return { type: 'boolean', valueType: 'boolean' };
  }
  if (is(values, parseNumber)) return { type: 'number', valueType: 'number' };
  const text = values.map(String);
  if (text.every((t) => ISO_DATE.test(t))) return { type: 'date', valueType: 'date' };
  if (text.every((t) => ISO_DATE.test(t) || ISO_DATETIME.test(t))) return { type: 'datetime', valueType: 'datetime' };
  if (text.every((t) => LOOKS_LIKE_DATE.test(t))) return { type: 'date (needs formats)', valueType: 'date' };
  return { type: 'text', valueType: 'string' };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/**
 * The columns of records as a source field list: every path seen (nested objects as dotted
 * paths: lookups, a CRM record's relationships), typed from the values seen, with the distinct
 * values of short text columns as options. Salesforce's `attributes` (type and URL of each
 * record, not data) are skipped. For CSV files, and for any source whose stored records are all
 * that is known of it.
 */
export function fieldsFromRecords(records: ReadonlyArray<{ data: Record<string, unknown> }>): SourceField[] {
  const seen = new Map<string, { values: unknown[]; origin: SourceField['origin'] }>();
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number): void => {
    const origin = prefix === '' ? 'field' : prefix.startsWith('_derived.') ? 'derived' : 'related';
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'attributes' && isPlainObject(v)) continue;
      const path = `${prefix}${k}`;
      if (isPlainObject(v) && depth < MAX_DEPTH) {
        walk(v, `${path}.`, depth + 1);
        continue;
      }
      const entry = seen.get(path) ?? { values: [], origin };
      if (!isBlank(v) && !isPlainObject(v)) entry.values.push(v);
      seen.set(path, entry);
    }
  };
  for (const r of records) walk(r.data, '', 1);
  // A relationship that is null on some records and an object on others is its fields, not a field.
  const parents = new Set(
    [...seen.keys()].flatMap((k) =>
      k
        .split('.')
        .slice(0, -1)
        .map((_, i, a) => a.slice(0, i + 1).join('.')),
    ),
  );
  return [...seen]
    .filter(([name, e]) => e.values.length > 0 || !parents.has(name))
    .map(([name, { values, origin }]) => {
      const { type, valueType } = inferType(values);
      const distinct = [...new Set(values.filter((v) => typeof v === 'string').map((v) => (v as string).trim()))];
      const options = valueType === 'string' && type === 'text' && distinct.length <= MAX_OPTIONS ? distinct.sort() : [];
      return {
        name,
        label: name,
        type,
        valueType,
        origin,
        ...(options.length ? { options } : {}),
      } satisfies SourceField;
    });
}
