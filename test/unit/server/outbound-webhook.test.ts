import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { isPublicAddress, PrivateHostAllowList } from '../../../src/net/public-address.ts';
import { type Resolve, resolveDestination, webhookUrlProblem } from '../../../src/net/webhook-post.ts';
import { loadSyncConfig, parseSyncConfig } from '../../../src/sync/config.ts';

const NOT_PUBLIC = [
  '0.0.0.0',
  '10.1.2.3',
  '100.64.0.1', // CGNAT
  '127.0.0.1',
  '127.255.255.254',
  '169.254.169.254', // cloud metadata
  '172.16.0.1',
  '172.31.255.255',
  '192.0.0.8',
  '192.0.2.10',
  '192.168.1.1',
  '198.18.0.1',
  '198.51.100.7',
  '203.0.113.9',
  '224.0.0.251', // multicast
  '239.255.255.250',
  '240.0.0.1',
  '255.255.255.255',
  '::',
  '::1',
  '::ffff:127.0.0.1', // IPv4-mapped
  '::ffff:7f00:1',
  '::ffff:169.254.169.254',
  '::127.0.0.1', // IPv4-compatible
  '64:ff9b::a00:1', // NAT64 of 10.0.0.1
  '2002:c0a8:101::1', // 6to4 of 192.168.1.1
  'fc00::1', // unique local
  'fd12:3456::1',
  'fe80::1', // link-local
  'fe80::1%eth0',
  'fec0::1', // site-local
  'ff02::1', // multicast
  '2001:db8::1', // documentation
  '2001::1', // Teredo
  '100::1', // discard
  'not-an-ip',
];
const PUBLIC = [
  '8.8.8.8',
  '1.1.1.1',
  '52.94.236.248',
  '172.32.0.1',
  '100.128.0.1',
  '2606:4700:4700::1111',
  '2a00:1450:4007:80e::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
];

describe('isPublicAddress', () => {
  it.each(NOT_PUBLIC)('refuses %s', (ip) => expect(isPublicAddress(ip)).toBe(false));
  it.each(PUBLIC)('accepts %s', (ip) => expect(isPublicAddress(ip)).toBe(true));
});

describe('webhookUrlProblem (the rule checked when an admin saves a URL)', () => {
  it.each([
    ['http://hooks.slack.com/services/T/B/X', 'must be an https URL'],
    ['file:///etc/passwd', 'must be an https URL'],
    ['gopher://127.0.0.1:6379/_FLUSHALL', 'must be an https URL'],
    ['ftp://example.com/x', 'must be an https URL'],
    ['https://127.0.0.1:8080/x', 'points at 127.0.0.1'],
    ['https://169.254.169.254/latest/meta-data/', 'points at 169.254.169.254'],
    ['https://0x7f.1/x', 'points at 127.0.0.1'],
    ['https://2130706433/x', 'points at 127.0.0.1'],
    ['https://[::ffff:127.0.0.1]/x', 'not a public internet address'],
    ['https://[fd00::1]/x', 'not a public internet address'],
    ['https://localhost/x', 'points at localhost'],
    ['https://metadata.localhost/x', 'points at metadata.localhost'],
    ['https://user:pw@hooks.slack.com/x', 'must not carry a user name or password'],
    ['not a url', 'is not a URL'],
  ])('refuses %s', (url, why) => expect(webhookUrlProblem(url)).toContain(why));

  it('accepts https to a host name or a public address', () => {
    expect(webhookUrlProblem('https://hooks.slack.com/services/T000/B000/XXXX')).toBeNull();
    expect(webhookUrlProblem('https://8.8.8.8/hook')).toBeNull();
  });

  it('lets an allow-listed private host through, over http too (tests and demos)', () => {
    const allow = new PrivateHostAllowList(['127.0.0.1', 'sink.internal']);
    expect(webhookUrlProblem('http://127.0.0.1:4000/services/x', allow)).toBeNull();
    expect(webhookUrlProblem('http://sink.internal/x', allow)).toBeNull();
    expect(webhookUrlProblem('http://10.0.0.1/x', allow)).toBe('must be an https URL');
  });
});

describe('resolveDestination (checked again at every send, after DNS)', () => {
  const dns =
    (answers: Record<string, string[]>): Resolve =>
    async (h) => {
      const a = answers[h];
      if (!a) throw new Error(`getaddrinfo ENOTFOUND ${h}`);
      return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
  const none = new PrivateHostAllowList();

  it('refuses a host name that resolves to a private, loopback, link-local or mapped address', async () => {
    const resolve = dns({
      'a.example': ['10.0.0.5'],
      'b.example': ['93.184.216.34', '127.0.0.1'],
      'c.example': ['::ffff:169.254.169.254'],
      'd.example': ['fe80::1'],
      'e.example': ['100.64.1.1'],
    });
    await expect(resolveDestination('https://a.example/x', none, resolve)).rejects.toThrow(
      'webhook host a.example resolves to 10.0.0.5, which is not a public internet address',
    );
    await expect(resolveDestination('https://b.example/x', none, resolve)).rejects.toThrow('resolves to 127.0.0.1');
    await expect(resolveDestination('https://c.example/x', none, resolve)).rejects.toThrow('resolves to ::ffff:169.254.169.254');
    await expect(resolveDestination('https://d.example/x', none, resolve)).rejects.toThrow('resolves to fe80::1');
    await expect(resolveDestination('https://e.example/x', none, resolve)).rejects.toThrow('resolves to 100.64.1.1');
    await expect(resolveDestination('https://nowhere.example/x', none, resolve)).rejects.toThrow('could not be resolved');
  });

  it('pins the address it checked', async () => {
    const d = await resolveDestination('https://hooks.example/x', none, dns({ 'hooks.example': ['2606:4700::1', '93.184.216.34'] }));
    expect(d).toMatchObject({ address: '2606:4700::1', family: 6 });
    expect(d.url.hostname).toBe('hooks.example');
  });

  it('takes http and private addresses only from the allow-list', async () => {
    const allow = new PrivateHostAllowList(['127.0.0.1']);
    const resolve = dns({ 'sink.test': ['127.0.0.1'], 'other.test': ['127.0.0.1', '10.0.0.1'] });
    await expect(resolveDestination('http://sink.test:9/x', allow, resolve)).resolves.toMatchObject({ address: '127.0.0.1' });
    await expect(resolveDestination('http://other.test:9/x', allow, resolve)).rejects.toThrow('must be an https URL');
    await expect(resolveDestination('https://other.test:9/x', allow, resolve)).rejects.toThrow('resolves to 10.0.0.1');
  });
});

describe("the deployment's Slack settings", () => {
  const prod = { NODE_ENV: 'production', APP_URL: 'https://risk.example.com', ENCRYPTION_KEY: 'k', SESSION_SECRET: 's' };

  it('refuses the private-host allowance in production, and takes it elsewhere', () => {
    expect(() => parseEnv({ ...prod, SLACK_ALLOW_PRIVATE_HOSTS: '127.0.0.1' })).toThrow(
      /SLACK_ALLOW_PRIVATE_HOSTS: is for tests and demos only/,
    );
    expect(
      parseEnv({ NODE_ENV: 'test', SLACK_ALLOW_PRIVATE_HOSTS: '127.0.0.1, ::1, 10.0.0.0/8, sink.local' }).SLACK_ALLOW_PRIVATE_HOSTS,
    ).toEqual(['127.0.0.1', '::1', '10.0.0.0/8', 'sink.local']);
    expect(() => parseEnv({ SLACK_ALLOW_PRIVATE_HOSTS: '10.0.0.0/99' })).toThrow(/SLACK_ALLOW_PRIVATE_HOSTS: "10\.0\.0\.0\/99"/);
  });

  it('refuses a SLACK_WEBHOOK_URL that is not https to a public address', () => {
    expect(() => parseEnv({ SLACK_WEBHOOK_URL: 'http://169.254.169.254/latest' })).toThrow(/SLACK_WEBHOOK_URL: must be an https URL/);
    expect(() => parseEnv({ ...prod, SLACK_WEBHOOK_URL: 'https://10.0.0.8/hook', SLACK_ALLOW_PRIVATE_HOSTS: undefined })).toThrow(
      /SLACK_WEBHOOK_URL: points at 10\.0\.0\.8/,
    );
    expect(parseEnv({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X' }).SLACK_WEBHOOK_URL).toBe(
      'https://hooks.slack.com/services/T/B/X',
    );
  });

  it('keeps file:, gopher: and credentials out of tenant settings whatever the deployment', () => {
    const base = loadSyncConfig();
    for (const [url, why] of [
      ['file:///etc/passwd', /alerts\.slackWebhookUrl: must be an https URL/],
      ['gopher://127.0.0.1:6379/_x', /alerts\.slackWebhookUrl: must be an https URL/],
      ['https://u:p@hooks.slack.com/x', /alerts\.slackWebhookUrl: must not carry a user name or password/],
    ] as const) {
      expect(() => parseSyncConfig({ ...base, alerts: { ...base.alerts, slackWebhookUrl: url } }, 'tenant t1')).toThrow(why);
    }
  });
});
