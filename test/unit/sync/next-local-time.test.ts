import { describe, expect, it } from 'vitest';
import { nextLocalTime } from '../../../src/sync/local-time.ts';

// When the worker looks at a tenant's digest next (issue 18): never after the local time, never
// a whole day early, across daylight-saving changes.
describe('the next local digest time', () => {
  const at = (iso: string) => new Date(iso);

  it('is later today when the local time has not come yet, tomorrow once it has', () => {
    expect(nextLocalTime(at('2026-11-25T07:30:00Z'), '09:00', 'Europe/Paris')).toEqual(at('2026-11-25T08:00:00Z'));
    expect(nextLocalTime(at('2026-11-25T08:00:00Z'), '09:00', 'Europe/Paris')).toEqual(at('2026-11-26T08:00:00Z'));
    expect(nextLocalTime(at('2026-11-25T15:00:00Z'), '08:00', 'UTC')).toEqual(at('2026-11-26T08:00:00Z'));
  });

  it('follows the zone across a daylight-saving change, either way', () => {
    // Paris springs forward on 29 March 2026 (02:00 → 03:00): 09:00 is then 07:00 UTC, not 08:00.
    expect(nextLocalTime(at('2026-03-28T12:00:00Z'), '09:00', 'Europe/Paris')).toEqual(at('2026-03-29T07:00:00Z'));
    // New York falls back on 1 November 2026: 08:00 is then 13:00 UTC, not 12:00.
    expect(nextLocalTime(at('2026-10-31T15:00:00Z'), '08:00', 'America/New_York')).toEqual(at('2026-11-01T13:00:00Z'));
  });
});
