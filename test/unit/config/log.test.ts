import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../src/log.ts';

function capture() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ stream, format: 'json', level: 'debug' }), lines };
}

describe('logger', () => {
  it('never writes tokens, secrets or Authorization headers, however they are passed', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ tenantId: 't1', runId: 7 });
    child.info('token refreshed', {
      access_token: '00Dxx0000001gPL!AQ4AQAbc.def',
      refreshToken: 'r-123456',
      headers: { Authorization: 'Bearer eyJhbGciOi.secret.sig', 'content-type': 'application/json' },
      nested: { client_secret: 'shh', note: 'sent Bearer abc.def.ghi to the CRM' },
      url: 'https://x.example.com/cb?code=AUTHCODE123&state=ok',
    });
    child.error('refresh failed', new Error('invalid_grant for pat-na1-11111111-2222'));
    await new Promise((r) => setImmediate(r));
    const all = lines.join('\n');
    for (const secret of ['AQ4AQAbc', 'r-123456', 'eyJhbGciOi', 'shh', 'abc.def.ghi', 'AUTHCODE123', 'pat-na1-1111']) {
      expect(all).not.toContain(secret);
    }
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({ tenantId: 't1', runId: 7, message: 'token refreshed', headers: { 'content-type': 'application/json' } });
    expect(first.url).toContain('state=ok');
  });

  it('keeps error codes and ids readable', () => {
    expect(redact({ code: 'crm_rate_limited', tenantId: 't1', count: 3 })).toEqual({ code: 'crm_rate_limited', tenantId: 't1', count: 3 });
  });
});
