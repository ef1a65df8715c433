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

// Dates have already become ISO strings (toJSON runs before the replacer), so only plain
// objects remain to be put in key order.
function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(src).sort()) out[k] = src[k];
  return out;
}

/**
 * JSON with object keys sorted and Dates as ISO strings, so equal values hash equally
 * whatever order their keys were built in (jsonb, for one, reorders them).
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, sortKeys) ?? 'null';
}
