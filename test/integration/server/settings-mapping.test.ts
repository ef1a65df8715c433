import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import type { Browser } from './client.ts';
import { deal, NOW, type Web } from './harness.ts';
import { connectAsAdmin, formControls, postControls, setControl, startSandboxWeb, storeFirstSync, yamlOf } from './mapping-support.ts';

const shipped = (crm: 'salesforce' | 'hubspot') =>
  parseYaml(readFileSync(new URL(`../../../mappings/${crm}.yaml`, import.meta.url), 'utf8')) as Record<string, unknown>;

/** The page's datalist: each offered field with its type. */
const offered = (page: string): Map<string, string> =>
  new Map([...page.matchAll(/<option value="([^"]*)" data-type="([^"]*)"/g)].map((m) => [m[1]!.replace(/&amp;/g, '&'), m[2]!]));

/** The problems shown in a row (by its field key). */
function rowError(page: string, key: string): string {
  const id = `m-${key.replace(/[^A-Za-z0-9_]/g, '-')}-err`;
  const m = new RegExp(`<p class="field-error" id="${id}"[^>]*>([\\s\\S]*?)</p>`).exec(page);
  return (m?.[1] ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .trim();
}

let sb: Sandbox;
let w: Web;
let sf: Browser;
let hs: Browser;
let sfTenant: string;
let hsTenant: string;

beforeAll(async () => {
  sb = await startSandbox({ deals: 24, seed: 17 });
  w = await startSandboxWeb(sb);
  sf = await connectAsAdmin(w, 'salesforce');
  hs = await connectAsAdmin(w, 'hubspot');
  sfTenant = `sf-${sb.salesforce.orgId.toLowerCase()}`;
  hsTenant = `hs-${sb.hubspot.portalId}`;
  expect(await storeFirstSync(w, sfTenant, 'salesforce')).toBeGreaterThan(10);
  expect(await storeFirstSync(w, hsTenant, 'hubspot')).toBeGreaterThan(10);
}, 120_000);
afterAll(async () => {
  await w?.close();
  await sb?.close();
});

describe('Settings → Field mapping: the CRM field picker', () => {
  it("offers Salesforce's Opportunity fields, related fields and derived values with their types", async () => {
    const page = await (await sf.get('/settings?source=salesforce')).text();
    const fields = offered(page);

    expect(fields.get('Amount')).toBe('currency');
    expect(fields.get('Account.Industry')).toBe('picklist');
    expect(fields.get('_derived.stageHistory')).toBe('stage history');
    expect(page).toMatch(/id="mapping-fields-note" data-listed-by="listed by Salesforce">\d+ fields listed by Salesforce/);
    // Each row shows the type of the field it reads (and its label when it says more than the name).
    expect(page).toMatch(/id="m-amount-type-0"[^>]*>currency</);
    expect(page).toMatch(/id="m-account-industry-type-0"[^>]*>picklist · Account: Industry</);
  });

  it('offers the HubSpot deal properties, the derived values and the company properties', async () => {
    const page = await (await hs.get('/settings?source=hubspot')).text();
    const fields = offered(page);

    expect(fields.get('dealname')).toBe('string');
    expect(fields.get('_derived.company.industry')).toBe('enumeration');
    expect(fields.get('_derived.stage.status')).toBe('enumeration');
    expect(fields.has('risk_score')).toBe(false);
  });

  it('asks the CRM once for several views of the page (the list is cached per connection)', async () => {
    await sf.get('/settings?source=salesforce');
    const first = sb.state.calls.length;
    for (let i = 0; i < 3; i++) expect((await sf.get('/settings?source=salesforce')).status).toBe(200);

    expect(sb.state.calls.slice(first).filter((c) => c.path.endsWith('/describe'))).toEqual([]);
  });
});

describe('Settings → Field mapping: the form', () => {
  it('saves the untouched form as the very mapping it showed, for both CRMs', async () => {
    for (const [b, crm, tenant] of [
      [sf, 'salesforce', () => sfTenant],
      [hs, 'hubspot', () => hsTenant],
    ] as const) {
      const controls = formControls(await (await b.get(`/settings?source=${crm}`)).text());
      const res = await postControls(b, '/settings/mapping/form', [...controls, ['intent', 'save']]);

      expect(
        res.status,
        await res
          .clone()
          .text()
          .then((t) => t.slice(0, 300)),
      ).toBe(303);
      expect(await w.t.store.mappings.get(tenant(), crm)).toEqual(shipped(crm));
      await postControls(b, '/settings/mapping/form', [...controls, ['intent', 'reset']]);
    }
  });

  it('previews a picked field on stored records, saves it, and the YAML view shows it', async () => {
    const start = formControls(await (await sf.get('/settings?source=salesforce')).text());
    const previewWith = async (from: string) => {
      const res = await postControls(sf, '/settings/mapping/form', [
        ...setControl(start, 'f.account.region.from', from),
        ['intent', 'preview'],
      ]);
      expect(res.status).toBe(200);
      const page = await res.text();
      const row = /<tr data-field="account.region">([\s\S]*?)<\/tr>/.exec(page)![1]!;
      return { page, row, values: [...row.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, '')) };
    };
    const countries = (page: string) =>
      [.../<tr data-field="account.country">([\s\S]*?)<\/tr>/.exec(page)![1]!.matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);

    // A field the last sync did not read is empty in the stored records, and the preview says why.
    const unread = await previewWith('Account.BillingState');
    expect(unread.page).toContain('data-state="ok"');
    expect(unread.values).toEqual(['—', '—', '—', '—', '—']);
    expect(unread.row).toContain('not in the stored records: the next sync reads it');
    // A field the records hold shows its values, record by record.
    const read = await previewWith('Account.BillingCountry');
    expect(read.values).toEqual(countries(read.page));
    expect(read.values.filter((v) => v !== '—').length).toBeGreaterThan(2);

    const saved = await postControls(sf, '/settings/mapping/form', [...formControls(read.page), ['intent', 'save']]);
    expect(saved.status).toBe(303);
    const stored = (await w.t.store.mappings.get(sfTenant, 'salesforce')) as { fields: Record<string, { from?: unknown }> };
    expect(stored.fields['account.region']).toEqual({ from: 'Account.BillingCountry' });
    const after = await (await sf.get('/settings?source=salesforce')).text();
    expect((yamlOf(after) as typeof stored).fields['account.region']).toEqual({ from: 'Account.BillingCountry' });
    expect(after).toContain('This workspace has its own mapping.');
  });

  it('refuses an invalid choice and shows the error by key path next to its field', async () => {
    let controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    controls = setControl(controls, 'f.closedAt.formats', 'YYYY-MM-DD');
    controls = setControl(controls, 'f.stage.status.template', '');
    const res = await postControls(sf, '/settings/mapping/form', [...controls, ['intent', 'save']]);
    const page = await res.text();

    expect(res.status).toBe(400);
    expect(rowError(page, 'closedAt')).toContain('fields.closedAt.formats.0: unknown token "YYYY"');
    expect(rowError(page, 'stage.status')).toContain('fields.stage.status: is required');
    expect(page).toMatch(/<fieldset class="map-row invalid" id="row-closedAt"/);
    // What was posted stays in the form, so the admin corrects instead of starting over.
    expect(page).toMatch(/id="m-closedAt-formats"[^>]*>YYYY-MM-DD</);
    expect(await w.t.store.mappings.get(sfTenant, 'salesforce')).not.toMatchObject({ fields: { closedAt: { formats: ['YYYY-MM-DD'] } } });
  });

  it('adds a value-map row per picklist value of the picked field, and refuses to save one left unchosen', async () => {
    let controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    controls = setControl(controls, 'f.stage.status.template', '');
    controls = setControl(controls, 'f.stage.status.from', 'StageName');
    const filled = await (await postControls(sf, '/settings/mapping/form', [...controls, ['intent', 'fill:stage.status']])).text();
    const raws = formControls(filled)
      .filter(([n]) => n === 'f.stage.status.vraw')
      .map(([, v]) => v);

    expect(raws).toEqual(expect.arrayContaining(['Prospecting', 'Closed Won', 'Closed Lost']));
    const res = await postControls(sf, '/settings/mapping/form', [...formControls(filled), ['intent', 'save']]);
    expect(res.status).toBe(400);
    expect(rowError(await res.text(), 'stage.status')).toContain('say what "Prospecting" becomes');
  });

  it('adds, renames with a label, and removes an extra', async () => {
    let controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    const blank = controls.find(([n, v]) => /^x\.\d+\.name$/.test(n) && v === '')![0].split('.')[1];
    controls = setControl(controls, `x.${blank}.name`, 'rating');
    controls = setControl(controls, `x.${blank}.label`, 'Account rating');
    controls = setControl(controls, `x.${blank}.from`, 'Account.Rating');
    controls = setControl(controls, 'x.0.name', 'opportunity_type');
    controls.push(['x.1.remove', '1']);
    expect((await postControls(sf, '/settings/mapping/form', [...controls, ['intent', 'save']])).status).toBe(303);

    const fields = Object.keys(((await w.t.store.mappings.get(sfTenant, 'salesforce')) as { fields: object }).fields).filter((k) =>
      k.startsWith('extras.'),
    );
    // Stored as jsonb, whose keys keep no order.
    expect(fields.sort()).toEqual(['extras.opportunity_type', 'extras.rating']);
    expect(((await w.t.store.mappings.get(sfTenant, 'salesforce')) as { fields: Record<string, unknown> }).fields['extras.rating']).toEqual(
      { from: 'Account.Rating', label: 'Account rating' },
    );
  });
});

/** Calls the live preview as the page's script does: JSON, with the page's CSRF token in a header. */
async function live(b: Browser, body: unknown, opts: { csrf?: string | null } = {}): Promise<{ status: number; body: any }> {
  const csrf = opts.csrf === undefined ? await b.csrf('/settings') : opts.csrf;
  const res = await b.request('POST', '/settings/mapping/preview', {
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) },
  });
  return { status: res.status, body: await res.json() };
}

describe('Settings → Field mapping: the live preview', () => {
  it('maps the stored records as the form says, marks the row just changed, and sends the YAML back', async () => {
    const controls = setControl(
      formControls(await (await sf.get('/settings?source=salesforce')).text()),
      'f.leadSource.from',
      'Account.Industry',
    );
    const r = await live(sf, { source: 'salesforce', entries: controls, changed: 'leadSource' });

    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, issues: [] });
    expect((parseYaml(r.body.yaml) as { fields: Record<string, unknown> }).fields.leadSource).toEqual({ from: 'Account.Industry' });
    expect(r.body.preview).toContain('<tr data-field="leadSource" class="changed">');
    const industries = /<tr data-field="account.industry">([\s\S]*?)<\/tr>/.exec(r.body.preview)![1]!.replace(/<th[\s\S]*?<\/th>/, '');
    const leadSources = /<tr data-field="leadSource" class="changed">([\s\S]*?)<\/tr>/
      .exec(r.body.preview)![1]!
      .replace(/<th[\s\S]*?<\/th>/, '');
    expect(leadSources).toBe(industries);
  });

  it('names every field that rejects a record, and still shows the values of the others', async () => {
    let controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    controls = setControl(controls, 'f.amount.from', 'Name');
    controls = setControl(controls, 'f.crmProbability.from', 'StageName');
    const r = await live(sf, { source: 'salesforce', entries: controls, changed: 'amount' });

    expect(r.body.ok).toBe(true);
    expect(r.body.preview).toContain('data-rejected="5"');
    expect(r.body.preview).toMatch(/rejected: amount: not a number: &quot;[^&]+&quot;; crmProbability: not a number/);
    expect(/<tr data-field="name">([\s\S]*?)<\/tr>/.exec(r.body.preview)![1]).not.toContain('—');
  });

  it('answers the YAML view with its problems by row, and with the form rows to follow it', async () => {
    const doc = shipped('hubspot');
    const fields = doc.fields as Record<string, Record<string, unknown>>;
    const yaml = `${JSON.stringify({ ...doc, fields: { ...fields, amount: { from: 'amount', type: 'money' }, 'extras.deal_priority': { from: 'hs_priority', label: 'Priority' } } })}`;
    const r = await live(hs, { source: 'hubspot', yaml });

    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect(r.body.issues).toEqual([expect.objectContaining({ row: 'amount', path: 'fields.amount.type' })]);
    expect(r.body.preview).toBe('');
    expect(r.body.form).toContain('value="deal_priority"');
    expect(r.body.form).toContain('<option value="money" selected>money</option>');
    expect(JSON.parse(r.body.base).fields.amount).toEqual({ from: 'amount', type: 'money' });
    const syntax = await live(hs, { source: 'hubspot', yaml: 'fields: [' });
    expect(syntax.body).toMatchObject({ ok: false, issues: [{ row: null, path: '(yaml)' }] });
  });

  it('refuses crafted requests with a 4xx, never a 500', async () => {
    const controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    const bodies: unknown[] = [
      'not json',
      [],
      { source: 'salesforce' },
      { source: 'pipedrive', entries: controls },
      { source: 'salesforce', entries: controls, yaml: 'a: 1' },
      { source: 'salesforce', entries: 'f.name.from=Name' },
      { source: 'salesforce', entries: [['f.name.from']] },
      { source: 'salesforce', entries: [[1, 2]] },
      { source: 'salesforce', entries: Array.from({ length: 401 }, (_, i) => [`f.x${i}.from`, 'x']) },
      { source: 'salesforce', entries: Array.from({ length: 300 }, () => ['f.name.from', 'x']) },
      { source: 'salesforce', entries: controls.filter(([n]) => n !== 'base') },
      { source: 'salesforce', entries: setControl(controls, 'base', '{"fields":') },
      { source: 'salesforce', entries: setControl(controls, 'base', '[1,2]') },
      { source: 'salesforce', entries: controls, extra: true },
      { source: 'salesforce', yaml: 'x'.repeat(200_001) },
    ];
    for (const body of bodies) {
      const r = await live(sf, body);
      expect([400, 413], JSON.stringify(body).slice(0, 80)).toContain(r.status);
      expect(r.body.error).toBeTruthy();
    }
    // A YAML that is valid but not a mapping is an answer about the mapping, not a bad request.
    expect((await live(sf, { source: 'salesforce', yaml: '[1, 2]' })).body).toMatchObject({ ok: false, issues: [{ path: '(root)' }] });
  });

  it('is for signed-in admins of the page only: the CSRF token, a session and the admin role are required', async () => {
    const body = { source: 'salesforce', entries: formControls(await (await sf.get('/settings?source=salesforce')).text()) };

    expect((await live(sf, body, { csrf: null })).status).toBe(403);
    expect((await live(sf, body, { csrf: 'forged' })).status).toBe(403);
    const anonymous = await fetch(`${w.url}/settings/mapping/preview`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    expect(anonymous.status).toBe(401);
    const [user] = await w.t.store.users.list(sfTenant);
    await w.t.store.users.setRole(sfTenant, user!.id, 'viewer');
    try {
      expect((await live(sf, body)).status).toBe(403);
      const page = await (await sf.get('/settings?source=salesforce')).text();
      // Viewers read the mapping: controls shown, nothing posts, no script, no buttons.
      expect(formControls(page)).toEqual([]);
      expect(page).toContain('id="m-amount-from-0"');
      expect(page).not.toContain('settings-mapping.js');
      expect(page).not.toContain('id="mapping-save"');
      expect((await postControls(sf, '/settings/mapping/form', [...body.entries, ['intent', 'save']])).status).toBe(403);
    } finally {
      await w.t.store.users.setRole(sfTenant, user!.id, 'admin');
    }
  });
});

describe('Settings → Field mapping without a CRM to ask', () => {
  it('lists the fields seen in stored records when the workspace has no connection to that CRM', async () => {
    const none = await (await hs.get('/settings?source=salesforce')).text();
    expect(none).toContain('No active Salesforce connection, and no Salesforce records are stored yet');

    await w.t.store.deals.upsertMany(
      hsTenant,
      [
        {
          deal: deal(hsTenant, { externalId: '006X1' }),
          raw: { Id: '006X1', Name: 'Imported', Amount: 1200, Account: { Industry: 'Retail' } },
        },
      ],
      NOW,
    );
    const page = await (await hs.get('/settings?source=salesforce')).text();
    expect(page).toContain('No active Salesforce connection: listing the fields seen in 1 stored Salesforce records.');
    expect(offered(page).get('Amount')).toBe('number');
    expect(offered(page).get('Account.Industry')).toBe('text');
    expect(page).toMatch(/id="m-stage-label-type-0"[^>]*>not seen in the stored records</);
  });
});

describe('Settings → Field mapping: what the form route accepts', () => {
  it('keeps the shipped mappings well under the 200 form parameters the app parses', async () => {
    for (const [b, crm] of [
      [sf, 'salesforce'],
      [hs, 'hubspot'],
    ] as const) {
      const n = formControls(await (await b.get(`/settings?source=${crm}`)).text()).length;
      expect(n).toBeLessThan(170);
    }
  });

  it('answers crafted form posts with a 4xx naming the problem', async () => {
    const controls = formControls(await (await sf.get('/settings?source=salesforce')).text());
    const cases: Array<Array<[string, string]>> = [
      [...controls.filter(([n]) => n !== 'base'), ['intent', 'save']],
      [...setControl(controls, 'base', 'null'), ['intent', 'preview']],
      [...setControl(controls, 'base', '"a string"'), ['intent', 'save']],
    ];
    for (const c of cases) {
      const res = await postControls(sf, '/settings/mapping/form', c);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/mapping form: base/);
    }
    const unknown = await postControls(sf, '/settings/mapping/form', [...controls, ['intent', 'fill:nothing.here']]);
    expect(unknown.status).toBe(200);
    expect(await unknown.text()).toContain('pick a source field first');
  });
});
