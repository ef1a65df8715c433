import type { Reply } from './api.ts';

/** Batch writes and association reads: HubSpot takes at most 100 inputs. */
export const BATCH_SIZE = 100;

/**
 * Object batch reads carry `propertiesWithHistory` (the spec requires the field), and HubSpot
 * refuses more than 50 inputs in "a batch request for property histories" (400 VALIDATION_ERROR).
 * Whether an empty list counts is undocumented, so every object batch read takes 50.
 */
export const BATCH_READ_SIZE = 50;

export const chunk = <T>(xs: readonly T[], n: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
};

/** What the SDK's `*WithHttpInfo` methods return, as our paced client's Reply. */
export const info = <T>(h: { httpStatusCode: number; headers: Record<string, string>; data: T }): Reply<T> => ({
  status: h.httpStatusCode,
  headers: h.headers,
  data: h.data,
});
