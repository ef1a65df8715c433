import { describe, expect, it } from 'vitest';
import { header, retryAfterMs } from '../../../connectors/http-headers.ts';

describe('response headers, for both connectors', () => {
  it('reads a header whatever its case, from fetch Headers or an SDK plain object', () => {
    expect(header(new Headers({ 'Retry-After': '3' }), 'retry-after')).toBe('3');
    expect(header({ 'X-HubSpot-RateLimit-Remaining': '9' }, 'x-hubspot-ratelimit-remaining')).toBe('9');
    expect(header({ 'sforce-limit-info': ['api-usage=10/15000', 'x'] }, 'Sforce-Limit-Info')).toBe('api-usage=10/15000');
    expect(header(undefined, 'retry-after')).toBeUndefined();
    expect(header({}, 'retry-after')).toBeUndefined();
  });

  it('reads Retry-After as seconds or as an HTTP date counted from now', () => {
    const now = new Date('2026-11-24T15:30:00Z');
    expect(retryAfterMs({ 'retry-after': '30' }, now)).toBe(30_000);
    expect(retryAfterMs({ 'retry-after': '1.5' }, now)).toBe(1500);
    expect(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 15:30:05 GMT' }, now)).toBe(5000);
    expect(retryAfterMs({ 'retry-after': 'Tue, 24 Nov 2026 15:29:00 GMT' }, now)).toBe(0);
  });

  it('ignores a Retry-After that is absent, empty, negative or not a time, so the caller default applies', () => {
    for (const raw of [undefined, '', ' ', '-5', 'soon']) {
      expect(retryAfterMs(raw === undefined ? {} : { 'retry-after': raw }), String(raw)).toBeUndefined();
    }
  });
});
