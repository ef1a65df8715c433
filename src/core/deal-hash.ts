import { createHash } from 'node:crypto';
import type { Deal } from './deal.ts';

/**
 * A stable hash of everything about a deal that can change its score. `modifiedAt` is left
 * out on purpose: our own write-back bumps the CRM's modification stamp (SystemModstamp,
 * hs_lastmodifieddate), and such an echo must not look like a change.
 */
export function dealInputHash(deal: Deal): string {
  const { modifiedAt: _ignored, ...inputs } = deal;
  return createHash('sha256').update(stableJson(inputs)).digest('base64url').slice(0, 22);
}

/** JSON with object keys sorted and Dates as ISO strings, so equal values hash equally. */
export function stableJson(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
