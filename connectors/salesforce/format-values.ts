import type { WriteBack } from '../../src/mapping/schema.ts';
import type { RiskFields } from '../types.ts';

/** The part of a describe() field result that decides how a value is written. */
export interface FieldShape {
  name: string;
  type: string;
  length?: number;
  precision?: number;
  scale?: number;
  updateable?: boolean;
  picklistValues?: Array<{ value: string; active: boolean }>;
}

export const TRUNCATION_NOTE = ' … (truncated)';

export interface FormattedRecord {
  values: Record<string, string | number | null>;
  /** Human-readable notes (truncations) for the log; the write still goes ahead. */
  notes: string[];
}

const round = (n: number, scale: number): number => {
  const f = 10 ** scale;
  return Math.round(n * f) / f;
};

/** Text cut to the field's length, ending with a visible note so a reader knows it was cut. */
export function truncate(text: string, length: number | undefined): { text: string; cut: boolean } {
  if (!length || text.length <= length) return { text, cut: false };
  if (length <= TRUNCATION_NOTE.length) return { text: text.slice(0, length), cut: true };
  return { text: text.slice(0, length - TRUNCATION_NOTE.length).trimEnd() + TRUNCATION_NOTE, cut: true };
}

/**
 * Formats one canonical risk value for a Salesforce field of the given type. A probability
 * (0..1) goes to a Percent field as 0-100 and to a Number field as-is when its scale allows
 * decimals, else as 0-100; datetimes as ISO 8601; text cut to the field length.
 */
export function formatValue(
  key: keyof RiskFields,
  value: RiskFields[keyof RiskFields],
  field: FieldShape,
): { value: string | number | null; note?: string } {
  if (value === null || value === undefined) return { value: null };
  switch (field.type) {
    case 'percent': {
      const n = key === 'winProbability' ? Number(value) * 100 : Number(value);
      return { value: round(n, field.scale ?? 0) };
    }
    case 'double':
    case 'int':
    case 'currency': {
      let n = Number(value);
      if (key === 'winProbability' && (field.scale ?? 0) < 2) n *= 100;
      return { value: field.type === 'int' ? Math.round(n) : round(n, field.scale ?? 0) };
    }
    case 'datetime':
      return { value: value instanceof Date ? value.toISOString() : String(value) };
    case 'date':
      return { value: (value instanceof Date ? value.toISOString() : String(value)).slice(0, 10) };
    default: {
      const text =
        value instanceof Date
          ? value.toISOString()
          : typeof value === 'number' && key === 'winProbability'
            ? String(round(value * 100, 1))
            : String(value);
      const { text: out, cut } = truncate(text, field.length);
      return cut ? { value: out, note: `${field.name} cut from ${text.length} to ${field.length} characters` } : { value: out };
    }
  }
}

/** Builds the record body for one opportunity from the mapping's writeBack field names. */
export function formatRiskRecord(fields: RiskFields, writeBack: WriteBack, shapes: ReadonlyMap<string, FieldShape>): FormattedRecord {
  const values: Record<string, string | number | null> = {};
  const notes: string[] = [];
  for (const [key, apiName] of Object.entries(writeBack.fields) as Array<[keyof RiskFields, string]>) {
    const shape = shapes.get(apiName);
    if (!shape) continue;
    const { value, note } = formatValue(key, fields[key], shape);
    values[apiName] = value;
    if (note) notes.push(note);
  }
  return { values, notes };
}

/** Which writeBack fields are missing or read-only for the integration user (setup not done). */
export function unwritableFields(writeBack: WriteBack, shapes: ReadonlyMap<string, FieldShape>): string[] {
  return Object.values(writeBack.fields).filter((name) => {
    const s = shapes.get(name);
    return !s || s.updateable === false;
  });
}
