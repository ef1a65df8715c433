import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector, type HubSpotConnector } from '../../../connectors/hubspot/connector.ts';
import { COMPANY_TYPES } from '../../../connectors/hubspot/describe-fields.ts';
import { COMPANY_PROPERTIES } from '../../../connectors/hubspot/enrich.ts';
import type { SourceField } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { hubspotMapping, type MemoryCredentials } from './support/connector.ts';
import { installInSandbox } from './support/sandbox-install.ts';

// The real SDK against the sandbox CRM on loopback: the properties API and what enrich.ts adds.
let sb: Sandbox;
let creds: MemoryCredentials;
const mapping = hubspotMapping();
const connector = (): HubSpotConnector =>
  createHubSpotConnector({
    tenantId: 't-describe',
    mapping,
    credentials: creds,
    clientId: sb.hubspot.clientId,
    clientSecret: sb.hubspot.clientSecret,
    now: () => sb.clock.now(),
  });
const byName = (fields: SourceField[]) => new Map(fields.map((f) => [f.name, f]));

/** Every leaf path under `_derived` of a record (stage.status, company.industry, ...). */
function leafPaths(v: unknown, prefix: string, out: Set<string>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) leafPaths(x, `${prefix}.${k}`, out);
  else out.add(prefix);
}

beforeAll(async () => {
  sb = await startSandbox({ deals: 60, seed: 9 });
  creds = await installInSandbox(sb);
});
afterAll(async () => {
  await sb?.close();
});

describe('HubSpot describeFields against the sandbox CRM', () => {
  it('lists the deal properties with their types and enumeration options', async () => {
    const fields = byName(await connector().describeFields());

    expect(fields.get('amount')).toMatchObject({ type: 'number', valueType: 'number', origin: 'field' });
    expect(fields.get('createdate')).toMatchObject({ type: 'datetime', valueType: 'datetime' });
    expect(fields.get('dealname')).toMatchObject({ type: 'string', valueType: 'string' });
    expect(fields.get('dealtype')?.options).toEqual(expect.arrayContaining(['newbusiness', 'existingbusiness']));
  });

  it('adds the values the connector derives: stage facts, history, owner and the primary company', async () => {
    const fields = byName(await connector().describeFields());

    expect(fields.get('_derived.stage.status')).toMatchObject({ origin: 'derived', options: ['open', 'won', 'lost'] });
    expect(fields.get('_derived.stageHistory')).toMatchObject({ valueType: 'stage_history' });
    expect(fields.get('_derived.owner.name')).toMatchObject({ type: 'string' });
    expect(fields.get('_derived.company.industry')).toMatchObject({ label: 'Primary company: Industry', type: 'enumeration' });
    expect(fields.get('_derived.company.numberofemployees')).toMatchObject({ valueType: 'number' });
    // Every company property the connector reads has its own type here, not a guess.
    expect(COMPANY_PROPERTIES.filter((p) => !COMPANY_TYPES[p])).toEqual([]);
  });

  it('offers every path the shipped mapping reads and every value a sync derives', async () => {
    const c = connector();
    const fields = byName(await c.describeFields());
    const derived = new Set<string>();
    for await (const page of c.fetchChanges({ cursor: null }))
      for (const r of page.records) leafPaths(r.data._derived, '_derived', derived);
    const reads = Object.values(mapping.fields).flatMap((f) => (f.from === undefined ? [] : Array.isArray(f.from) ? f.from : [f.from]));

    // The shipped mapping falls back to two properties the sandbox portal does not define (portals
    // differ: that is why they are fallbacks); they are not invented, Settings marks them unlisted.
    expect(reads.filter((p) => !fields.has(p))).toEqual(['hs_forecast_category', 'hs_last_sales_activity_timestamp']);
    expect(derived.size).toBeGreaterThan(10);
    expect([...derived].filter((p) => !fields.has(p))).toEqual([]);
  });

  it('leaves out the risk properties dealrisk writes, and reads the properties API once', async () => {
    const c = connector();
    await c.setup();
    const first = sb.state.calls.length;
    const names = (await c.describeFields()).map((f) => f.name);
    const calls = sb.state.calls.slice(first).filter((x) => x.crm === 'hs');

    for (const written of Object.values(mapping.writeBack!.fields)) expect(names).not.toContain(written);
    expect(calls.map((x) => `${x.method} ${x.path} ${x.status}`)).toEqual(['GET /crm/v3/properties/deals 200']);
  });
});
