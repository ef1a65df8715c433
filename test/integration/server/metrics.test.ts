import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';
import { startMetricsListener } from '../../../src/metrics/listener.ts';
import { registry } from '../../../src/metrics/metrics.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { metricValue } from '../../helpers/metrics.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

const TOKEN = 'metrics-token-0123456789abcdef';
const T = 'acme';

describe('/metrics for the operator, never on the public port', () => {
  let w: Web;
  let metrics: { url: string; close(): Promise<void> };
  let key: string;
  beforeAll(async () => {
    w = await startTestWeb();
    await w.t.store.tenants.ensure(T);
    key = (await createApiKey(w.t.store, T, { name: 'k', role: 'read', ratePerMinute: 10_000, createdBy: 'test' }, NOW)).secret;
    metrics = await startMetricsListener({ host: '127.0.0.1', port: 0, token: TOKEN, registry });
  });
  afterAll(async () => {
    await metrics.close();
    await w.close();
  });

  it('is not on the public web app: 404 signed in or not, 401 for the metrics token (not an API key)', async () => {
    for (const [headers, status] of [
      [{}, 404],
      [{ authorization: `Bearer ${key}` }, 404],
      [{ authorization: `Bearer ${TOKEN}` }, 401],
    ] as const) {
      const r = await fetch(`${w.url}/metrics`, { headers });
      expect(r.status).toBe(status);
      expect(await r.text()).not.toContain('dealrisk_');
    }
  });

  it('refuses a scrape without the token or with a wrong one, and serves the Prometheus text with it', async () => {
    const none = await fetch(metrics.url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(await none.text()).not.toContain('dealrisk_');
    expect((await fetch(metrics.url, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(metrics.url, { headers: { authorization: TOKEN } })).status).toBe(401);
    const ok = await fetch(metrics.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toContain('text/plain');
    const text = await ok.text();
    expect(text).toContain('# TYPE dealrisk_sync_runs_total counter');
    expect(text).toContain('# TYPE dealrisk_http_request_duration_seconds histogram');
    expect((await fetch(metrics.url.replace('/metrics', '/other'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(metrics.url, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(405);
  });

  it('times requests by route template, never by the raw URL or tenant', async () => {
    const labels = { method: 'GET', route: '/v1/deals/:id', status: '4xx' };
    const before = await metricValue('dealrisk_http_request_duration_seconds_count', labels);
    const r = await fetch(`${w.url}/v1/deals/006-secret-id-42`, { headers: { authorization: `Bearer ${key}` } });
    expect(r.status).toBe(404);
    expect(await metricValue('dealrisk_http_request_duration_seconds_count', labels)).toBe(before + 1);
    const health = { method: 'GET', route: '/healthz', status: '2xx' };
    const h0 = await metricValue('dealrisk_http_request_duration_seconds_count', health);
    await fetch(`${w.url}/healthz`);
    expect(await metricValue('dealrisk_http_request_duration_seconds_count', health)).toBe(h0 + 1);
    // An unknown path and a request refused before routing share one label.
    const none = { method: 'GET', route: '(none)', status: '4xx' };
    const n0 = await metricValue('dealrisk_http_request_duration_seconds_count', none);
    await fetch(`${w.url}/no/such/page-7f3a`);
    await fetch(`${w.url}/v1/deals/high-risk`, { headers: { authorization: 'Bearer not-a-key' } });
    expect(await metricValue('dealrisk_http_request_duration_seconds_count', none)).toBe(n0 + 2);
    const text = await registry.metrics();
    expect(text).not.toContain('006-secret-id-42');
    expect(text).not.toContain('page-7f3a');
    expect(text).not.toContain(T);
  });
});

describe('the metrics settings', () => {
  const env = (e: Record<string, string>) => () => parseEnv({ NODE_ENV: 'test', ...e });
  it('refuses a metrics port off loopback without a token, naming METRICS_TOKEN', () => {
    expect(env({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' })).toThrow(/METRICS_TOKEN: is required when METRICS_HOST \(0\.0\.0\.0\)/);
    expect(env({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0', METRICS_TOKEN: TOKEN })()).toMatchObject({ METRICS_PORT: 9464 });
    const local = env({ METRICS_PORT: '9464' })();
    expect(local.METRICS_HOST).toBe('127.0.0.1');
    expect(local.METRICS_TOKEN).toBeUndefined();
    expect(env({ NODE_ENV: 'production', METRICS_PORT: '9464' })).toThrow(
      /METRICS_TOKEN: is required in production when METRICS_PORT is set/,
    );
  });
  it('refuses the public port as the metrics port, and a short token', () => {
    expect(env({ PORT: '3000', METRICS_PORT: '3000' })).toThrow(/METRICS_PORT: must differ from PORT/);
    expect(env({ METRICS_PORT: '9464', METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
  });
});
