import { describe, expect, it } from 'vitest';
import { AppError } from '../../../src/core/errors.ts';
import { toErrorResponse } from '../../../src/server/http/errors.ts';
import { escapeHtml, html, jsonData, raw } from '../../../src/server/http/html.ts';

describe('error responses', () => {
  it('maps codes to statuses with the { error, message, details } shape and a Retry-After', () => {
    expect(toErrorResponse(new AppError('not_found', 'no deal X'))).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'no deal X' },
    });
    const r = toErrorResponse(new AppError('rate_limited', 'slow down', { retryAfterMs: 2100 }));
    expect(r).toMatchObject({ status: 429, retryAfterS: 3, body: { details: { retryAfterMs: 2100 } } });
    expect(
      toErrorResponse(new AppError('mapping_invalid', 'x', { issues: [{ path: 'fields.amount.type', message: 'bad' }] })).body.details,
    ).toEqual({
      issues: [{ path: 'fields.amount.type', message: 'bad' }],
    });
  });

  it("never exposes causes or unknown errors' messages", () => {
    const secret = new Error('password=hunter2 at db');
    const r = toErrorResponse(new AppError('crm_unavailable', 'CRM down', { cause: secret, rawBody: 'token=abc' }));
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|token=abc/);
    const unknown = toErrorResponse(new TypeError('cannot read x of undefined (secret stack)'));
    expect(unknown).toMatchObject({
      status: 500,
      body: { error: 'internal', message: 'Something went wrong on our side; it has been logged.' },
    });
  });

  it('names body-parser failures', () => {
    expect(toErrorResponse({ type: 'entity.too.large', limit: 1024 })).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(toErrorResponse({ type: 'entity.parse.failed' })).toMatchObject({
      status: 400,
      body: { message: 'request body is not valid JSON' },
    });
  });
});

describe('html templates', () => {
  it('escapes CRM data and keeps trusted markup', () => {
    const name = '<img src=x onerror=alert(1)>"&\'';
    expect(html`<td>${name}</td>${raw('<br>')}`.value).toBe('<td>&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;</td><br>');
    expect(escapeHtml('a<b')).toBe('a&lt;b');
  });

  it('embeds chart data that cannot close its script element', () => {
    expect(jsonData('c', { label: '</script><script>alert(1)</script>' }).value).not.toContain('</script><script>');
  });
});
