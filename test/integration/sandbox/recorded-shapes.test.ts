import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { shapeDiff } from './shape.ts';

/**
 * Replays every recorded real request in ../shared/contracts/{salesforce,hubspot} against the
 * sandbox and checks each response has the recorded shape (keys and JSON types), status class
 * and the CRM's usage headers. Ids of records that exist only in the recording org are replaced
 * with sandbox records of the same kind.
 */
const CONTRACTS = new URL('../../../../shared/contracts/', import.meta.url);

interface Recorded {
  file: string;
  crm: 'salesforce' | 'hubspot';
  method: string;
  path: string;
  status: number;
  headers: Record<string, string>;
  request: { params?: Record<string, string>; data?: unknown };
  response: unknown;
}

function load(crm: 'salesforce' | 'hubspot'): Recorded[] {
  const dir = new URL(`${crm}/samples-nango-recorded/`, CONTRACTS);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.test.json'))
    .sort()
    .flatMap((file) => {
      const j = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as {
        api: Record<string, Record<string, Omit<Recorded, 'file' | 'crm' | 'method' | 'path'>>>;
      };
      return Object.entries(j.api).flatMap(([method, paths]) =>
        Object.entries(paths).map(([path, r]) => ({
          file,
          crm,
          method: method.toUpperCase(),
          path,
          status: r.status,
          headers: r.headers ?? {},
          request: r.request ?? {},
          response: r.response,
        })),
      );
    });
}

const RECORDED = [...load('salesforce'), ...load('hubspot')];

let sb: Sandbox;
let sfToken: string;
let hsToken: string;
/** Recorded id → sandbox id of the same kind of record. */
const ids = new Map<string, string>();

async function call(crm: 'salesforce' | 'hubspot', method: string, path: string, body?: unknown, query?: Record<string, string>) {
  const base = crm === 'salesforce' ? sb.salesforce.instanceUrl : sb.hubspot.apiBase;
  const qs = query ? `?${new URLSearchParams(query)}` : '';
  const res = await fetch(`${base}${path}${qs}`, {
    method,
    headers: {
      authorization: `Bearer ${crm === 'salesforce' ? sfToken : hsToken}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : '' };
}

const swap = (s: string) => [...ids].reduce((acc, [from, to]) => acc.split(from).join(to), s);

beforeAll(async () => {
  // More than 2,000 opportunities, so a query has a second page (retrieve-query-more).
  sb = await startSandbox({ deals: 2300, seed: 7 });
  sfToken = sb.salesforce.issueTokens().access_token;
  hsToken = sb.hubspot.issueTokens().access_token;
  const accounts = (
    await call('salesforce', 'GET', '/services/data/v66.0/query', undefined, { q: 'SELECT Id FROM Account ORDER BY Id LIMIT 2' })
  ).body as { records: Array<{ Id: string }> };
  ids.set('001dM00003jU9GxQAK', accounts.records[0]!.Id);
  ids.set('001dM00003kS3BpQAK', accounts.records[1]!.Id);
  const created = (
    await call('salesforce', 'POST', '/services/data/v66.0/composite/sobjects', {
      allOrNone: false,
      records: [
        { attributes: { type: 'Account' }, Name: 'To delete 1' },
        { attributes: { type: 'Account' }, Name: 'To delete 2' },
      ],
    })
  ).body as Array<{ id: string }>;
  ids.set('001dM00003kREKdQAO', created[0]!.id);
  ids.set('001dM00003kREKeQAO', created[1]!.id);
  const page1 = (await call('salesforce', 'GET', '/services/data/v60.0/query', undefined, { q: 'SELECT Id, Name FROM Opportunity' }))
    .body as { nextRecordsUrl: string };
  ids.set('0r8xx5R2sM3DgWhASK-2000', page1.nextRecordsUrl.split('/').pop()!);

  const deals = (await call('hubspot', 'GET', '/crm/v3/objects/deals', undefined, { limit: '5' })).body as {
    results: Array<{ id: string }>;
  };
  for (const [k, recorded] of ['493590090947', '479475667160', '28871116646', '493593663734'].entries())
    ids.set(recorded, deals.results[k]!.id);
  const deal = (
    await call('hubspot', 'GET', `/crm/v3/objects/deals/${deals.results[4]!.id}`, undefined, { associations: 'companies,contacts' })
  ).body as { associations: { companies: { results: Array<{ id: string }> }; contacts: { results: Array<{ id: string }> } } };
  ids.set('407218578642', deal.associations.companies.results[0]!.id);
  ids.set('406260751575', deal.associations.companies.results[0]!.id);
  ids.set('713492963559', deal.associations.contacts.results[0]!.id);
  // Tasks like the recorded portal's: one tied to a contact (the list shows associations).
  const task = (
    await call('hubspot', 'POST', '/crm/v3/objects/tasks', {
      properties: { hs_task_subject: 'Follow up', hs_timestamp: '2026-12-01T10:00:00Z', hs_task_priority: 'HIGH', hs_task_type: 'TODO' },
      associations: [
        {
          to: { id: deal.associations.contacts.results[0]!.id },
          types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 204 }],
        },
      ],
    })
  ).body as { id: string };
  ids.set('477950799045', task.id);
});

afterAll(async () => {
  await sb?.close();
});

describe('recorded real payloads replayed against the sandbox', () => {
  it('covers every recorded request of both CRMs', () => {
    expect(RECORDED.filter((r) => r.crm === 'salesforce').length).toBeGreaterThanOrEqual(16);
    expect(RECORDED.filter((r) => r.crm === 'hubspot').length).toBeGreaterThanOrEqual(18);
  });

  for (const r of RECORDED) {
    it(`${r.crm} ${r.file}: ${r.method} ${r.path} answers with the recorded shape`, async () => {
      const path = swap(r.path);
      const body = r.request.data === undefined ? undefined : (JSON.parse(swap(JSON.stringify(r.request.data))) as unknown);
      const query = r.request.params ? (JSON.parse(swap(JSON.stringify(r.request.params))) as Record<string, string>) : undefined;
      const res = await call(r.crm, r.method, path, body, query);
      if (r.status === 204) expect(res.status).toBe(204);
      else expect(Math.floor(res.status / 100), JSON.stringify(res.body).slice(0, 400)).toBe(Math.floor(r.status / 100));
      expect(shapeDiff(r.response, res.body)).toEqual([]);
      if (r.headers['sforce-limit-info']) expect(res.headers.get('sforce-limit-info')).toMatch(/^api-usage=\d+\/\d+$/);
      if (r.headers['x-hubspot-ratelimit-max']) {
        expect(Number(res.headers.get('x-hubspot-ratelimit-max'))).toBeGreaterThan(0);
        expect(res.headers.get('x-hubspot-ratelimit-remaining')).toMatch(/^\d+$/);
      }
    });
  }
});
