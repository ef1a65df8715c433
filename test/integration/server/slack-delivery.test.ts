import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateHostAllowList } from '../../../src/net/public-address.ts';
import type { Resolve } from '../../../src/net/webhook-post.ts';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { defaultTransports, sendDueDeliveries } from '../../../src/worker/deliver.ts';
import { slackSink } from '../sync/helpers/slack-sink.ts';
import { Browser } from './client.ts';
import { startTestWeb, type Web } from './harness.ts';

/** A server that answers every request with a redirect to `to`, counting what it got. */
async function redirector(to: string) {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    res.writeHead(302, { location: to }).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits: () => hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Answers as a rebinding DNS server would: the first answer, then another for every later lookup. */
function rebinding(host: string, first: string, then: string): Resolve & { calls: number } {
  const r = Object.assign(
    async (h: string) => {
      if (h !== host) throw new Error(`getaddrinfo ENOTFOUND ${h}`);
      r.calls++;
      return [{ address: r.calls === 1 ? first : then, family: 4 }];
    },
    { calls: 0 },
  );
  return r;
}

describe('Slack webhooks reach public https addresses only', () => {
  let sink: Awaited<ReturnType<typeof slackSink>>;
  beforeAll(async () => {
    sink = await slackSink();
  });
  afterAll(async () => sink.close());
  const port = () => new URL(sink.url).port;
  const opts = (allow: string[] = []) => ({ timeoutMs: 2000, allowPrivate: new PrivateHostAllowList(allow) });

  it('refuses a host that resolves to a loopback address, before connecting', async () => {
    const before = sink.bodies.length;
    const t = defaultTransports(undefined, { resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    await expect(t.postSlack(`https://hooks.attacker.example:${port()}/services/x`, { text: 'hi' }, opts())).rejects.toThrow(
      'webhook host hooks.attacker.example resolves to 127.0.0.1, which is not a public internet address',
    );
    await expect(t.postSlack(`http://127.0.0.1:${port()}/services/x`, { text: 'hi' }, opts())).rejects.toThrow('must be an https URL');
    expect(sink.bodies.length).toBe(before);
  });

  it('connects to the address it checked: a second DNS answer cannot redirect the post (rebinding)', async () => {
    const resolve = rebinding('sink.test', '127.0.0.1', '10.255.255.1');
    const t = defaultTransports(undefined, { resolve });
    const before = sink.bodies.length;
    // sink.test exists only in the injected resolver: the post reaches the sink only through the pinned address.
    await t.postSlack(`http://sink.test:${port()}/services/x`, { text: 'pinned' }, opts(['127.0.0.1']));
    expect(sink.bodies.slice(before)).toEqual([{ text: 'pinned' }]);
    expect(resolve.calls).toBe(1);
  });

  it('does not follow a redirect (to the metadata service or anywhere else)', async () => {
    const to = await redirector(`http://127.0.0.1:${port()}/services/redirected`);
    const before = sink.bodies.length;
    try {
      const t = defaultTransports(undefined, { resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
      await expect(t.postSlack(`http://127.0.0.1:${to.port}/services/x`, { text: 'hi' }, opts(['127.0.0.1']))).rejects.toThrow(
        'Slack answered 302 (redirects are not followed)',
      );
      expect(to.hits()).toBe(1);
      expect(sink.bodies.length).toBe(before);
    } finally {
      await to.close();
    }
  });
});

describe('a refused or failing Slack webhook, as the admin sees it', () => {
  let w: Web;
  let admin: Browser;
  const T = 'sf-orgslack';
  beforeAll(async () => {
    w = await startTestWeb();
    admin = new Browser(w.url);
    await admin.oauth('salesforce', 'install', { org: 'ORGSLACK', user: 'ada', name: 'Ada Admin' });
  });
  afterAll(async () => w.close());

  const form = (slackWebhookUrl: string) => ({
    threshold: '76',
    slackWebhookUrl,
    quietStart: '',
    quietEnd: '',
    digestTime: '08:00',
    timezone: 'UTC',
    adminEmails: '',
  });

  it.each([
    ['http://127.0.0.1:8080/services/x', 'slackWebhookUrl: must be an https URL'],
    ['https://169.254.169.254/latest/meta-data/', 'slackWebhookUrl: points at 169.254.169.254, which is not a public internet address'],
    ['https://[::ffff:10.0.0.1]/x', 'slackWebhookUrl: points at ::ffff:a00:1'],
    ['gopher://127.0.0.1:6379/_x', 'slackWebhookUrl: must be an https URL'],
    ['file:///etc/passwd', 'slackWebhookUrl: must be an https URL'],
  ])('refuses to save %s', async (url, why) => {
    const res = await admin.post('/settings/alerts', form(url));
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(why);
    expect(((await w.t.store.tenants.get(T))?.settings.sync as any)?.alerts?.slackWebhookUrl).toBeUndefined();
  });

  it('records why a stored private URL was refused at send time and shows it on the Settings page', async () => {
    // Saved before this rule existed (or straight into the database): the send refuses it.
    await w.t.store.tenants.updateSettings(T, { sync: { alerts: { slackWebhookUrl: 'https://internal-hooks.example/services/x' } } });
    await w.t.store.deliveries.enqueue(
      T,
      {
        kind: 'alert',
        channel: 'slack',
        key: 'alert:A',
        payload: {
          externalId: 'A',
          name: 'Acme',
          score: 90,
          category: 'Critical',
          drivers: [],
          firstAction: null,
          ownerName: null,
          amount: null,
          url: null,
        },
        notBefore: w.ctx.now(),
      },
      w.ctx.now(),
    );
    const transports = defaultTransports(undefined, { resolve: async () => [{ address: '10.1.2.3', family: 4 }] });
    expect(await sendDueDeliveries(w.ctx, loadSyncConfig(), transports, { tenantId: T })).toEqual({ sent: 0, failed: 1 });
    const [d] = await w.t.store.deliveries.list(T);
    expect(d).toMatchObject({
      status: 'failed',
      lastError: 'webhook host internal-hooks.example resolves to 10.1.2.3, which is not a public internet address',
    });
    const page = await (await admin.get('/settings')).text();
    expect(page).toContain('Recent deliveries that failed');
    expect(page).toContain('internal-hooks.example resolves to 10.1.2.3');
    expect(page).not.toContain('/services/x');
  });
});
