import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSalesforceConnector, type SalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials, SourceField } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

// The real jsforce against the sandbox CRM: describe of Opportunity and of its related objects.
const mapping = defaultMapping('salesforce');
let sb: Sandbox;
let creds: Credentials;
const store: CredentialStore = {
  load: async () => ({ ...creds }),
  save: async (c) => {
    creds = { ...c };
  },
  markNeedsReauth: async () => undefined,
};

const connector = (): Promise<SalesforceConnector> =>
  createSalesforceConnector({
    tenantId: 't-describe',
    mapping,
    credentials: store,
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
  });

const byName = (fields: SourceField[]) => new Map(fields.map((f) => [f.name, f]));

/** Every path a mapping reads through `from`. */
const fromPaths = (m: typeof mapping): string[] =>
  Object.values(m.fields).flatMap((f) => (f.from === undefined ? [] : Array.isArray(f.from) ? f.from : [f.from]));

beforeAll(async () => {
  sb = await startSandbox({ deals: 30, seed: 7 });
  const t = sb.salesforce.issueTokens();
  creds = {
    accessToken: t.access_token,
    refreshToken: t.refresh_token ?? null,
    instanceUrl: t.instance_url,
    authBaseUrl: sb.salesforce.loginUrl,
    accountId: sb.salesforce.orgId,
  };
});
afterAll(async () => {
  await sb?.close();
});

describe('Salesforce describeFields against the sandbox CRM', () => {
  it('lists Opportunity fields with their describe types, labels and active picklist values', async () => {
    const fields = byName(await (await connector()).describeFields());

    expect(fields.get('Amount')).toMatchObject({ label: 'Amount', type: 'currency', valueType: 'number', origin: 'field' });
    expect(fields.get('Probability')).toMatchObject({ type: 'percent', valueType: 'percent' });
    expect(fields.get('CloseDate')).toMatchObject({ type: 'date', valueType: 'date' });
    expect(fields.get('CreatedDate')).toMatchObject({ type: 'datetime', valueType: 'datetime' });
    expect(fields.get('IsWon')).toMatchObject({ type: 'boolean', valueType: 'boolean' });
    expect(fields.get('StageName')?.options).toEqual(expect.arrayContaining(['Prospecting', 'Closed Won', 'Closed Lost']));
    // Compound fields come back as structures a mapping cannot read as one value.
    expect([...fields.values()].filter((f) => f.type === 'address')).toEqual([]);
  });

  it('lists the fields of related records one level away as dotted paths, labelled by the relationship', async () => {
    const fields = byName(await (await connector()).describeFields());

    expect(fields.get('Account.Industry')).toMatchObject({ label: 'Account: Industry', type: 'picklist', origin: 'related' });
    expect(fields.get('Account.NumberOfEmployees')).toMatchObject({ type: 'int', valueType: 'number' });
    expect(fields.get('Owner.Name')).toMatchObject({ label: 'Owner: Name', origin: 'related' });
    expect(fields.get('CreatedBy.Email')).toMatchObject({ type: 'email', origin: 'related' });
    // Two levels are not listed (a SOQL path may go deeper; the list stays readable).
    expect([...fields.keys()].filter((n) => !n.startsWith('_derived.') && n.split('.').length > 2)).toEqual([]);
  });

  it('offers every path the shipped mapping reads and every value a sync derives', async () => {
    const sf = await connector();
    const fields = byName(await sf.describeFields());
    const derived = new Set<string>();
    for await (const page of sf.fetchChanges({ cursor: null }))
      for (const r of page.records) for (const k of Object.keys((r.data._derived ?? {}) as object)) derived.add(`_derived.${k}`);

    expect(fromPaths(mapping).filter((p) => !fields.has(p))).toEqual([]);
    expect(derived.size).toBeGreaterThan(5);
    expect([...derived].filter((p) => !fields.has(p))).toEqual([]);
    expect(fields.get('_derived.stageHistory')).toMatchObject({ valueType: 'stage_history', origin: 'derived' });
  });

  it('leaves out the risk fields dealrisk writes, so a mapping cannot read its own score back', async () => {
    const sf = await connector();
    await sf.setup();
    const names = (await sf.describeFields()).map((f) => f.name);

    for (const written of Object.values(mapping.writeBack!.fields)) expect(names).not.toContain(written);
    expect(names).toContain('Name');
  });

  it('costs one describe per object, and skips with a warning a related object the org will not describe', async () => {
    const first = sb.state.calls.length;
    const sf = await connector();
    const fields = byName(await sf.describeFields());
    const describes = sb.state.calls.slice(first).filter((c) => /\/sobjects\/[^/]+\/describe$/.test(c.path));
    const objects = describes.map((c) => c.path.split('/').at(-2));

    expect(objects[0]).toBe('Opportunity');
    expect(new Set(objects).size).toBe(objects.length);
    expect(objects).toEqual(expect.arrayContaining(['Account', 'User', 'Contact']));
    // The sandbox org has no Campaign or Pricebook2 object (404 NOT_FOUND, as for an object the
    // integration user may not see): those relationships are left out, the rest is listed.
    const refused = describes.filter((c) => c.status === 404).map((c) => c.path.split('/').at(-2));
    expect(refused.sort()).toEqual(['Campaign', 'Pricebook2']);
    expect(sf.warnings.filter((w) => w.startsWith('cannot describe')).map((w) => w.split(' ')[2])).toEqual(expect.arrayContaining(refused));
    expect([...fields.keys()].filter((n) => n.startsWith('Campaign.') || n.startsWith('Pricebook2.'))).toEqual([]);
    expect(fields.has('Account.Name')).toBe(true);
  });
});
