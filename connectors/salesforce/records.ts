import { parseDate } from '../../src/mapping/parse-value.ts';
import type { RawRecord } from '../types.ts';

/** A REST query row: `attributes` plus fields; relationship fields are nested objects. */
export type SfRow = Record<string, unknown> & { Id?: string };

function stripAttributes(value: unknown): unknown {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k !== 'attributes') out[k] = stripAttributes(v);
  }
  return out;
}

/** SystemModstamp arrives as `2026-05-01T07:25:37.000+0000` (REST) or `...Z` (Bulk CSV). */
export function modstampOf(row: SfRow): Date | null {
  const raw = row.SystemModstamp;
  if (raw === null || raw === undefined || raw === '') return null;
  try {
    return parseDate(raw);
  } catch {
    return null; // a malformed stamp only costs dedupe precision; the record is still delivered
  }
}

export function toRawRecord(row: SfRow): RawRecord {
  const data = stripAttributes(row) as Record<string, unknown>;
  return { id: String(row.Id), data, modifiedAt: modstampOf(row) };
}

export const isDeletedRow = (row: SfRow): boolean => row.IsDeleted === true || row.IsDeleted === 'true';

const BOOLEAN_FIELDS = new Set(['IsClosed', 'IsWon', 'IsDeleted']);

/**
 * Bulk API 2.0 returns CSV: every value a string, empty for null, relationship columns
 * flattened as `Account.Industry`. Rebuild the REST shape so the mapping and the echo hash
 * see the same record whichever API delivered it.
 */
export function fromBulkRow(flat: Record<string, string>): SfRow {
  const row: SfRow = {};
  for (const [column, raw] of Object.entries(flat)) {
    let value: unknown = raw === '' ? null : raw;
    if (BOOLEAN_FIELDS.has(column) && typeof value === 'string') value = value === 'true';
    const parts = column.split('.');
    let target = row as Record<string, unknown>;
    for (const part of parts.slice(0, -1)) {
      if (!target[part] || typeof target[part] !== 'object') target[part] = {};
      target = target[part] as Record<string, unknown>;
    }
    target[parts[parts.length - 1]!] = value;
  }
  return row;
}
