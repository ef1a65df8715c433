import { z } from 'zod';
import { AppError } from '../../src/core/errors.ts';

/**
 * Where a HubSpot sync stands. Every page carries one; persisting it after the page is stored
 * and resuming from it loses nothing (at worst a few deals are delivered again).
 *
 * - `full`: first sync through the list endpoint (no 10,000 cap); `after` is the list cursor.
 * - `incremental`: everything modified before `since` was delivered. A run in progress covers
 *   [since, run.to) window by window: [since, run.winTo) keyset-paged by hs_object_id > lastId.
 */
const Iso = z.iso.datetime();
export const HubSpotCursor = z.discriminatedUnion('phase', [
  z.object({
    v: z.literal(1),
    phase: z.literal('full'),
    startedAt: Iso,
    after: z.string().nullable(),
    archivedCheckedAt: Iso.nullable(),
  }),
  z.object({
    v: z.literal(1),
    phase: z.literal('incremental'),
    since: Iso,
    run: z.object({ to: Iso, winTo: Iso, lastId: z.string().nullable() }).nullable(),
    archivedCheckedAt: Iso.nullable(),
  }),
]);
export type HubSpotCursor = z.infer<typeof HubSpotCursor>;

export const encodeCursor = (c: HubSpotCursor): string => JSON.stringify(c);

export function decodeCursor(raw: string | null): HubSpotCursor | null {
  if (raw === null) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new AppError('input_invalid', `HubSpot sync cursor is not JSON: ${raw.slice(0, 80)}`);
  }
  const r = HubSpotCursor.safeParse(doc);
  if (!r.success) throw new AppError('input_invalid', `HubSpot sync cursor is not one this connector wrote: ${r.error.issues[0]?.message}`);
  return r.data;
}
