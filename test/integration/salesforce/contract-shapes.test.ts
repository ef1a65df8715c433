import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLimitInfo } from '../../../connectors/salesforce/limits.ts';
import { anOpportunity, queryPage, sfHeaders } from './helpers.ts';

// The recorded Salesforce payloads live beside the repository (../shared/contracts), not in it.
const DIR = path.resolve(import.meta.dirname, '../../../../shared/contracts/salesforce/samples-nango-recorded');

interface Recorded {
  api: Record<string, Record<string, { response: unknown; status: number; headers: Record<string, string> }>>;
}
const recorded = (file: string): Recorded => JSON.parse(readFileSync(path.join(DIR, file), 'utf8')) as Recorded;
const responses = (file: string) =>
  Object.values(recorded(file).api).flatMap((byPath) => Object.entries(byPath).map(([p, r]) => ({ path: p, ...r })));
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

describe.skipIf(!existsSync(DIR))('Salesforce nock fixtures match the recorded payloads', () => {
  it('builds opportunities with the recorded fields, JSON types and date formats', () => {
    const [query] = responses('opportunities.test.json');
    const sample = (query!.response as { records: Array<Record<string, unknown>> }).records[0]!;
    const ours = anOpportunity();
    for (const [k, v] of Object.entries(sample)) {
      expect(ours, k).toHaveProperty(k);
      expect(jsonType(ours[k]), k).toBe(jsonType(v));
    }
    const datetime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
    expect(sample.SystemModstamp).toMatch(datetime);
    expect(ours.SystemModstamp).toMatch(datetime);
    expect(sample.CloseDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(ours.CloseDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(Object.keys(ours.attributes as object).sort()).toEqual(Object.keys(sample.attributes as object).sort());
  });

  it('pages like query / queryAll / queryMore: same keys, nextRecordsUrl ending in -2000', () => {
    const [more] = responses('retrieve-query-more.test.json');
    const [all] = responses('query-all-records.test.json');
    expect(Object.keys(queryPage([])).sort()).toEqual(Object.keys(all!.response as object).sort());
    expect(Object.keys(queryPage([], { next: '/services/data/v66.0/query/01gxx-2000' })).sort()).toEqual(
      [...Object.keys(all!.response as object), 'nextRecordsUrl'].sort(),
    );
    expect(more!.path).toMatch(/^\/services\/data\/v\d+\.0\/query\/[A-Za-z0-9]+-2000$/);
  });

  it('rejects records in a collection with the recorded error entry shape', () => {
    const [update] = responses('update-sobject-collection.test.json');
    const entry = (update!.response as Array<{ success: boolean; errors: Array<Record<string, unknown>> }>)[0]!;
    expect(entry.success).toBe(false);
    expect(Object.keys(entry.errors[0]!).sort()).toEqual(['fields', 'message', 'statusCode']);
  });

  it('reads Sforce-Limit-Info the way every recorded response sends it', () => {
    const withHeader = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .flatMap((f) => responses(f))
      .map((r) => r.headers['sforce-limit-info'])
      .filter((h): h is string => typeof h === 'string');
    expect(withHeader.length).toBeGreaterThan(5);
    for (const h of withHeader) expect(parseLimitInfo(h), h).not.toBeNull();
    expect(parseLimitInfo(sfHeaders()['sforce-limit-info'])).toEqual({ used: 900, limit: 15000 });
  });
});
