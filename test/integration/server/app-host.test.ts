import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWeb, type Web } from './harness.ts';

interface Reply {
  status: number;
  location: string | undefined;
  cookies: string[];
}

/** A request to the test server under the given Host header (what a browser sends for `localhost:PORT`). */
function ask(w: Web, method: string, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  const u = new URL(w.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers: { host, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, cookies: res.headers['set-cookie'] ?? [] }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('development: a page asked for under another host name goes to APP_URL first', () => {
  let w: Web;
  let other: string;
  beforeAll(async () => {
    w = await startTestWeb({ env: { NODE_ENV: 'development' } });
    other = `localhost:${new URL(w.url).port}`;
  });
  afterAll(async () => w?.close());

  it('sends localhost:PORT to the same path on APP_URL before a sign-in starts, setting no cookie', async () => {
    const r = await ask(w, 'GET', '/oauth/hubspot/start?purpose=signin', other);
    expect(r).toEqual({ status: 302, location: `${w.url}/oauth/hubspot/start?purpose=signin`, cookies: [] });
    // On APP_URL's own host the sign-in starts: the browser goes to the CRM with a state cookie.
    const there = await ask(w, 'GET', '/oauth/hubspot/start?purpose=signin', new URL(w.url).host);
    expect(there.status).toBe(303);
    expect(there.location).toMatch(/^https:\/\/crm\.test\/hubspot\/authorize/);
    expect(there.cookies.length).toBeGreaterThan(0);
    expect(await ask(w, 'GET', '/', other)).toMatchObject({ status: 302, location: `${w.url}/` });
    expect(await ask(w, 'HEAD', '/deals?risk=High', other)).toMatchObject({ status: 302, location: `${w.url}/deals?risk=High` });
  });

  it("keeps a crafted path on APP_URL's host", async () => {
    const r = await ask(w, 'GET', '//evil.example/login', other);
    expect(r.status).toBe(302);
    expect(new URL(r.location!).host).toBe(new URL(w.url).host);
    expect(r.location).toBe(`${w.url}//evil.example/login`);
  });

  it('leaves the API, HubSpot calls, health probes and anything but GET alone', async () => {
    expect((await ask(w, 'GET', '/v1/deals/high-risk', other)).status).toBe(401);
    expect((await ask(w, 'GET', '/healthz', other)).status).toBe(200);
    expect((await ask(w, 'GET', '/integrations/hubspot/card', other)).status).not.toBe(302);
    expect((await ask(w, 'POST', '/oauth/hubspot/start', other)).status).not.toBe(302);
  });
});

describe('outside development', () => {
  // Starts a web app on a store of its own in the test (PGlite: 10-26 s on a busy 2-core machine).
  it('redirects nothing', { timeout: 90_000 }, async () => {
    const w = await startTestWeb();
    try {
      expect(await ask(w, 'GET', '/oauth/hubspot/start?purpose=signin', `localhost:${new URL(w.url).port}`)).toMatchObject({
        status: 303,
        location: expect.stringMatching(/^https:\/\/crm\.test\//),
      });
    } finally {
      await w.close();
    }
  });
});
