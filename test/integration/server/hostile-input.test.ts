import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createScoringService } from '../../../src/scoring/service.ts';
import { scoringPort } from '../../../src/server/adapters/scoring.ts';
import { createApiKey } from '../../../src/server/auth/api-key.ts';
import { modelHealth } from '../../../src/sync/requests.ts';
import { insertScores } from '../../helpers/scores.ts';
import { api, Browser } from './client.ts';
import { deal, NOW, scoreOf, startTestWeb, type Web } from './harness.ts';

/**
 * Crafted input gets a 4xx, never a 500: every parameter and body field of every route in the
 * OpenAPI document (generated from the same registry that mounts the routes) is sent hostile
 * values, with an admin key so each request gets past access checks to the validation and the
 * database. Runs on PGlite, and on Postgres when TEST_DATABASE_URL is set.
 */

/** Raw (already percent-encoded) query/path values: NUL, invalid UTF-8, huge and odd numbers, long strings. */
const HOSTILE_RAW = [
  'a%00b',
  '%00',
  '%ED%A0%80', // a lone surrogate as (invalid) UTF-8
  '%FF%FE',
  '%',
  '200000000',
  '-200000000',
  '1e400',
  '-1e400',
  '1e-400',
  '9'.repeat(400),
  'NaN',
  'Infinity',
  '-1',
  '0.5',
  'x'.repeat(6000),
  '%27%20or%201%3D1%20--',
  '%3Cscript%3E',
  '..%2F..%2Fetc%2Fpasswd',
  '%20',
  '',
];

type Json = any;

/** Hostile JSON values for one body field. */
const HOSTILE_JSON: unknown[] = [
  'a\u0000b',
  '\ud800',
  'x'.repeat(200_000),
  1e308,
  -1e308,
  -0,
  Number.MAX_SAFE_INTEGER + 2,
  null,
  true,
  [],
  {},
  ['a\u0000'],
  { 'k\u0000': 'v' },
  { __proto__: { polluted: true } },
];

const nest = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('hostile input on every route of the OpenAPI document', () => {
  let w: Web;
  let key: string;
  let doc: Json;
  const T = 'sf-hostile';
  const failures: string[] = [];

  beforeAll(async () => {
    w = await startTestWeb({
      scoring: (t, now) => scoringPort(createScoringService({ store: t.store }), now, (id) => modelHealth({ store: t.store }, id)),
    });
    await w.t.store.tenants.ensure(T);
    key = (await createApiKey(w.t.store, T, { name: 'fuzz', role: 'admin', ratePerMinute: 1_000_000, createdBy: 'test' }, NOW)).secret;
    await w.t.store.deals.upsertMany(T, [{ deal: deal(T, { externalId: 'D1' }) }], NOW);
    await insertScores(w.t.store, T, [scoreOf('D1', 80, 'Critical')]);
    doc = (await api(w.url, 'GET', '/v1/openapi.json', null)).body;
  });
  afterAll(async () => w.close());
  beforeEach(() => void failures.splice(0));

  const resolve = (s: Json): Json => (s?.$ref ? doc.components.schemas[s.$ref.split('/').pop()] : s);

  /** The smallest instance a schema accepts (enough to reach the field under attack). */
  function minimal(schema: Json): Json {
    const s = resolve(schema);
    if (!s) return {};
    if (s.default !== undefined) return s.default;
    if (s.enum) return s.enum[0];
    if (s.anyOf || s.oneOf) return minimal((s.anyOf ?? s.oneOf)[0]);
    if (s.type === 'object' || s.properties) {
      const out: Record<string, unknown> = {};
      for (const r of s.required ?? []) out[r] = minimal(s.properties?.[r]);
      return out;
    }
    if (s.type === 'array') return [];
    if (s.type === 'string') return 'x';
    if (s.type === 'number' || s.type === 'integer') return 1;
    if (s.type === 'boolean') return true;
    return {};
  }

  /** Every field path of a body schema (nested objects included), to put a hostile value at. */
  function fieldPaths(schema: Json, prefix: string[] = [], depth = 0): string[][] {
    const s = resolve(schema);
    if (!s || depth > 3) return [];
    const out: string[][] = [];
    for (const [name, sub] of Object.entries<Json>(s.properties ?? {})) {
      out.push([...prefix, name]);
      out.push(...fieldPaths(sub, [...prefix, name], depth + 1));
    }
    return out;
  }

  const withValue = (base: Json, path: string[], value: unknown): Json => {
    const copy = structuredClone(base) ?? {};
    let at = copy;
    for (const p of path.slice(0, -1)) at = at[p] = at[p] !== null && typeof at[p] === 'object' ? at[p] : {};
    at[path[path.length - 1]!] = value;
    return copy;
  };

  async function send(method: string, url: string, body?: string, headers: Record<string, string> = {}): Promise<number> {
    const res = await fetch(`${w.url}${url}`, {
      method: method.toUpperCase(),
      redirect: 'manual',
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    if (res.status >= 500)
      failures.push(
        `${method.toUpperCase()} ${url.slice(0, 160)} ${body ? `body ${body.slice(0, 120)} ` : ''}→ ${res.status} ${text.slice(0, 200)}`,
      );
    return res.status;
  }

  const operations = () =>
    Object.entries<Json>(doc.paths).flatMap(([path, ops]) => Object.entries<Json>(ops).map(([method, op]) => ({ path, method, op })));
  const fillPath = (path: string, value = 'D1') => path.replace(/\{[^}]+\}/g, value);

  it('answers hostile query and path parameters with 4xx', { timeout: 60_000 }, async () => {
    let sent = 0;
    for (const { path, method, op } of operations()) {
      const params: Json[] = op.parameters ?? [];
      for (const p of params.filter((x) => x.in === 'query')) {
        const names = [p.name, `${p.name}[x]`];
        for (const v of HOSTILE_RAW) {
          for (const n of names) {
            sent++;
            await send(method, `${fillPath(path)}?${n}=${v}`);
          }
        }
        await send(method, `${fillPath(path)}?${p.name}=a&${p.name}=b`);
      }
      for (const p of params.filter((x) => x.in === 'path')) {
        for (const v of HOSTILE_RAW.filter((x) => x !== '')) {
          sent++;
          await send(method, path.replace(`{${p.name}}`, v));
        }
      }
    }
    expect(sent).toBeGreaterThan(300);
    expect(failures).toEqual([]);
  });

  it('answers hostile JSON bodies (NUL, lone surrogates, huge numbers and strings, deep nesting) with 4xx', {
    timeout: 60_000,
  }, async () => {
    let sent = 0;
    for (const { path, method, op } of operations()) {
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      const base = minimal(schema);
      const url = fillPath(path);
      for (const raw of [nest(30_000), `[${nest(5_000)}]`, '1e400', '"\\u0000"', 'null', '[]', '{"a":', '\u0000']) {
        for (const headers of [{}, { 'idempotency-key': `k-${sent}` }] as Array<Record<string, string>>) {
          sent++;
          await send(method, url, raw, headers);
        }
      }
      for (const field of fieldPaths(schema)) {
        for (const v of HOSTILE_JSON) {
          const body = JSON.stringify(withValue(base, field, v));
          for (const headers of [{}, { 'idempotency-key': `k-${sent}` }] as Array<Record<string, string>>) {
            sent++;
            await send(method, url, body, headers);
          }
        }
        sent++;
        await send(method, url, JSON.stringify(withValue(base, field, JSON.parse(nest(200)))));
      }
    }
    expect(sent).toBeGreaterThan(200);
    expect(failures).toEqual([]);
  });

  it('names the parameter in the 400 for the reported cases', async () => {
    const cases: Array<[string, string]> = [
      ['/v1/deals/high-risk?min_age_days=200000000', 'min_age_days'],
      ['/v1/deals/high-risk?owner=a%00b', 'owner'],
      ['/v1/deals/a%00b', 'id'],
    ];
    for (const [url, name] of cases) {
      const r = await api(w.url, 'GET', url, key);
      expect(r.status, url).toBe(400);
      expect(r.body.message, url).toContain(name);
    }
    const deep = await api(w.url, 'POST', '/v1/deals/score', key, nest(30_000), { 'idempotency-key': 'deep' });
    expect(deep.status).toBe(400);
    expect(deep.body.message).toMatch(/nested/);
  });

  it('answers hostile query strings and forms on the pages with 4xx', async () => {
    const b = new Browser(w.url);
    await b.oauth('salesforce', 'install', { org: 'HOSTILE', user: 'ada', name: 'Ada' });
    const pages = ['/', '/deals', '/deals/D1', '/deals/a%00b', '/forecast', '/diagnostics', '/model', '/sync', '/settings', '/audit'];
    const names = [
      'owner',
      'segment',
      'min_age_days',
      'max_age_days',
      'min_amount',
      'offset',
      'limit',
      'source',
      'action',
      'actor',
      'before',
      'all',
      'next',
      'quarters',
    ];
    for (const page of pages) {
      for (const v of ['a%00b', '200000000', '1e400', '%ED%A0%80', 'x'.repeat(6000)]) {
        const res = await b.get(`${page}?${names.map((n) => `${n}=${v}`).join('&')}`);
        await res.text();
        if (res.status >= 500) failures.push(`GET ${page} with ${v.slice(0, 20)} → ${res.status}`);
      }
    }
    for (const [path, form] of [
      [
        '/settings/mapping',
        { source: 'salesforce', intent: 'save', mapping: 'version: 1\nsource: salesforce\nobject: "Opp\u0000"\nid: Id\nfields: {}' },
      ],
      ['/settings/playbook', { playbook: 'version: 1\nrules:\n  - id: "a\u0000"' }],
      ['/settings/alerts', { threshold: '1e400', timezone: 'UTC\u0000', digestTime: '08:00', adminEmails: 'a\u0000@x.io' }],
      ['/settings/forecast', { fiscalYearStartMonth: '1e400' }],
      ['/settings/forecast', { fiscalYearStartMonth: '2\u0000' }],
      ['/settings/keys', { name: 'k\u0000', role: 'read', rate: '1e400' }],
    ] as const) {
      const res = await b.post(path, form);
      await res.text();
      if (res.status >= 500) failures.push(`POST ${path} → ${res.status}`);
    }
    expect(failures).toEqual([]);
  });
});
