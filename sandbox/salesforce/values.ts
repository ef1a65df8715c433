import { isWellFormedSfId, toSfId18 } from '../ids.ts';
import { type FieldDef, fieldOf, type ObjectDef } from '../soql/schema.ts';
import { type RecordError, recordError } from './errors.ts';

const NUMERIC = new Set(['int', 'double', 'currency', 'percent']);

/**
 * Salesforce's valid dates: "The earliest valid date is 1700-01-01T00:00:00Z GMT ... The latest
 * valid date is 4000-12-31T00:00:00Z GMT" (Data Loader Guide, Data Import Dates; docs/crm-limits.md).
 */
const FIRST_VALID = Date.UTC(1700, 0, 1);
const LAST_VALID = Date.UTC(4000, 11, 31);

function parseIsoDate(s: string, withTime: boolean): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, sec, ms, tz] = m;
  // Before Date.UTC, which reads a year 0-99 as 1900-1999.
  if (+y! < 1700 || +y! > 4000) return null;
  let t = Date.UTC(
    +y!,
    +mo! - 1,
    +d!,
    withTime ? +(h ?? 0) : 0,
    withTime ? +(mi ?? 0) : 0,
    withTime ? +(sec ?? 0) : 0,
    withTime && ms ? +ms.padEnd(3, '0') : 0,
  );
  if (withTime && tz && tz !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    t -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2)) * 60_000;
  }
  const check = new Date(Date.UTC(+y!, +mo! - 1, +d!));
  return check.getUTCMonth() === +mo! - 1 && t >= FIRST_VALID && t <= LAST_VALID ? t : null;
}

const parserError = (type: string, value: unknown) =>
  recordError(
    'JSON_PARSER_ERROR',
    `Cannot deserialize instance of ${type} from VALUE_STRING value ${String(value)} or request may be missing a required field at [line:1, column:1]`,
  );

/**
 * Checks one written value against the field's definition and returns the internal value, or
 * the error Salesforce reports for it (the same codes and messages as the real API).
 */
export function coerceWrite(
  obj: ObjectDef,
  name: string,
  value: unknown,
  mode: 'create' | 'update',
): { ok: true; field: FieldDef; value: unknown } | { ok: false; error: RecordError } {
  const f = fieldOf(obj, name);
  if (!f) return { ok: false, error: recordError('INVALID_FIELD', `No such column '${name}' on sobject of type ${obj.name}`) };
  if (mode === 'create' ? !f.createable : !f.updateable) {
    return {
      ok: false,
      error: recordError(
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${f.name}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
        [f.name],
      ),
    };
  }
  if (value === null || value === '') return { ok: true, field: f, value: null };
  if (NUMERIC.has(f.type)) {
    const n =
      typeof value === 'number'
        ? value
        : typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
          ? Number(value)
          : NaN;
    if (!Number.isFinite(n)) return { ok: false, error: parserError(f.type === 'int' ? 'int' : 'double', value) };
    const scale = f.scale ?? (f.type === 'int' ? 0 : 2);
    const rounded = Math.round(n * 10 ** scale) / 10 ** scale;
    // precision - scale digits before the point; compared by magnitude (1e21 prints as "1e+21").
    if (f.precision !== undefined && !(Math.abs(rounded) < 10 ** (f.precision - scale))) {
      return {
        ok: false,
        error: recordError('NUMBER_OUTSIDE_VALID_RANGE', `${f.label}: value outside of valid range on numeric field: ${n}`, [f.name]),
      };
    }
    return { ok: true, field: f, value: rounded };
  }
  if (f.type === 'boolean') {
    if (typeof value !== 'boolean') return { ok: false, error: parserError('boolean', value) };
    return { ok: true, field: f, value };
  }
  if (f.type === 'date' || f.type === 'datetime') {
    const t = typeof value === 'string' ? parseIsoDate(value, f.type === 'datetime') : null;
    if (t === null) return { ok: false, error: parserError(f.type === 'date' ? 'date' : 'datetime', value) };
    return { ok: true, field: f, value: t };
  }
  if (typeof value !== 'string') return { ok: false, error: parserError('string', JSON.stringify(value)) };
  if (f.type === 'reference' || f.type === 'id') {
    if (!isWellFormedSfId(value))
      return { ok: false, error: recordError('MALFORMED_ID', `${f.label}: id value of incorrect type: ${value}`, [f.name]) };
    return { ok: true, field: f, value: toSfId18(value) };
  }
  if (f.type === 'picklist' && f.restrictedPicklist && !f.picklistValues?.includes(value)) {
    return {
      ok: false,
      error: recordError('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${f.label}: bad value for restricted picklist field: ${value}`, [
        f.name,
      ]),
    };
  }
  if (f.length !== undefined && value.length > f.length) {
    return {
      ok: false,
      error: recordError('STRING_TOO_LONG', `${f.label}: data value too large: ${value.slice(0, 40)} (max length=${f.length})`, [f.name]),
    };
  }
  return { ok: true, field: f, value };
}

/** Converts a record body (minus attributes and id) into internal values, or its first error. */
export function coerceRecord(
  obj: ObjectDef,
  body: Record<string, unknown>,
  mode: 'create' | 'update',
  skip: string[] = [],
): { ok: true; values: Record<string, unknown> } | { ok: false; error: RecordError } {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    if (k === 'attributes' || skip.some((s) => s.toLowerCase() === k.toLowerCase())) continue;
    const r = coerceWrite(obj, k, v, mode);
    if (!r.ok) return r;
    values[r.field.name] = r.value;
  }
  return { ok: true, values };
}

const REQUIRED: Record<string, string[]> = { Opportunity: ['Name', 'StageName', 'CloseDate'], Account: ['Name'], Contact: ['LastName'] };

export function missingRequired(object: string, values: Record<string, unknown>): RecordError | null {
  const missing = (REQUIRED[object] ?? []).filter((f) => values[f] === undefined || values[f] === null);
  return missing.length ? recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing) : null;
}
