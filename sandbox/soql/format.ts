import type { SfType } from './schema.ts';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Salesforce datetime: `2026-05-01T07:25:37.000+0000` (no colon in the offset). */
export function sfDateTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}+0000`;
}

/** Salesforce date: `2026-03-08` (four-digit years: DatedConversionRate starts at `0001-01-01`). */
export function sfDate(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Internal value → the JSON Salesforce sends for a field of this type. */
export function formatSfValue(type: SfType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'datetime':
      return typeof v === 'number' ? sfDateTime(v) : v;
    case 'date':
      return typeof v === 'number' ? sfDate(v) : v;
    default:
      return v;
  }
}

/** Bulk API CSV renders every value as text; null is an empty field. */
export function csvValue(type: SfType, v: unknown): string {
  const f = formatSfValue(type, v);
  if (f === null) return '';
  const s = String(f);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
