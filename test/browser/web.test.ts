import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { createScoringService, type ScoringService } from '../../src/scoring/service.ts';
import { scoringPort } from '../../src/server/adapters/scoring.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { modelHealth } from '../../src/sync/requests.ts';
import { driftOf } from '../../src/sync/retrain-policy.ts';
import { fakeOAuth, startTestWeb, type Web } from '../integration/server/harness.ts';
import { startSandboxWeb, storeFirstSync } from '../integration/server/mapping-support.ts';
import { hasChromium, launch, seedRealPipeline, shot, startConsentServer } from './helpers.ts';

const MAPPING_OK = `version: 1
source: salesforce
object: Opportunity
id: Id
fields:
  name: { from: Name }
  amount: { from: Amount, type: number }
  stage.label: { from: StageName }
  stage.status:
    template: "{IsClosed}/{IsWon}"
    values: { "false/false": open, "true/true": won, "true/false": lost }
`;

if (!hasChromium) {
  console.warn('Browser tests skipped: /usr/bin/chromium is missing (apt-get install -y chromium; .ci/run installs it).');
}

describe.skipIf(!hasChromium)('the web app in a real browser (Chromium)', () => {
  let w: Web;
  let consent: Awaited<ReturnType<typeof startConsentServer>>;
  let browser: Browser;
  let admin: Page;
  let who = { org: 'ORGDEMO', user: 'ada', name: 'Ada Admin' };
  let service: ScoringService;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    consent = await startConsentServer(() => who);
    w = await startTestWeb({
      oauth: { salesforce: fakeOAuth('salesforce', consent.url), hubspot: fakeOAuth('hubspot', consent.url) },
      sandbox: { url: consent.url, deals: 960 },
      // The real scoring service behind the pages: real metrics, diagnostics and model figures.
      scoring: (t, now) => {
        service = createScoringService({ store: t.store });
        return scoringPort(service, now, (id) => modelHealth({ store: t.store }, id));
      },
    });
    browser = await launch();
    admin = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    admin.setDefaultTimeout(8000);
    admin.on('console', (m) => {
      // Statuses are asserted where they matter (the refused mapping answers 400 on purpose).
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    await consent?.close();
  });

  it('installs through the CRM consent page and lands on the overview', async () => {
    await admin.goto(`${w.url}/install`);
    await shot(admin, 'install');
    await admin.click('#connect-salesforce');
    await admin.waitForSelector('#allow');
    await admin.click('#allow');
    await admin.waitForURL(/\/\?done=/);
    expect(await admin.textContent('h1')).toBe('Overview');
    expect(await admin.textContent('.who')).toContain('Ada Admin');
    expect(await admin.textContent('.sandbox')).toContain('sandbox CRM');
  });

  it('draws the overview charts', { timeout: 60_000 }, async () => {
    await seedRealPipeline(w.t, 'sf-orgdemo', service);
    await admin.goto(`${w.url}/`);
    await admin.waitForSelector('html[data-charts="drawn"]');
    const drawn = await admin.$$eval('canvas[data-chart]', (cs) =>
      cs.map((c) => {
        const canvas = c as HTMLCanvasElement;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i]! > 0) painted++;
        return { state: canvas.getAttribute('data-drawn'), painted };
      }),
    );
    expect(drawn).toHaveLength(2);
    for (const d of drawn) {
      expect(d.state).toBe('true');
      expect(d.painted).toBeGreaterThan(1000);
    }
    await shot(admin, 'overview');
  });

  it('sorts and filters the deals table', async () => {
    await admin.goto(`${w.url}/deals`);
    const amounts = async () =>
      await admin.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => Number(td.textContent!.replace(/[^0-9]/g, ''))));
    const riskOrder = await admin.$$eval('tbody tr td:nth-child(2)', (tds) => tds.map((td) => Number(td.textContent)));
    expect(riskOrder).toEqual([...riskOrder].sort((a, b) => b - a));
    await admin.click('a[data-sort="amount"]');
    await admin.waitForURL(/sort_by=amount/);
    const desc = await amounts();
    expect(desc.length).toBeGreaterThan(3);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await admin.click('a[data-sort="amount"]');
    await admin.waitForURL(/order=asc/);
    const asc = await amounts();
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    await admin.selectOption('#f-owner', { label: 'Grace Hopper' });
    await admin.click('form.filters button[type="submit"]');
    await admin.waitForURL(/owner=o2/);
    const owners = await admin.$$eval('tbody tr td:nth-child(5)', (tds) => tds.map((td) => td.textContent));
    expect(new Set(owners)).toEqual(new Set(['Grace Hopper']));
    await admin.goto(`${w.url}/deals`);
    await shot(admin, 'deals');
  });

  it('shows a mapping validation error in the YAML view, then previews and saves a valid mapping', async () => {
    await admin.goto(`${w.url}/settings`);
    await admin.click('#mapping-advanced summary');
    await admin.fill('#mapping-text', MAPPING_OK.replace('type: number', 'type: money'));
    await admin.click('#mapping-yaml-form button[value="save"]');
    await admin.waitForSelector('#mapping-errors');
    expect(await admin.textContent('#mapping-errors')).toContain('fields.amount.type');
    // The form follows the YAML: the amount row carries the same error.
    expect(await admin.textContent('#m-amount-err')).toContain('fields.amount.type');
    await shot(admin, 'settings-mapping-error');
    await admin.fill('#mapping-text', MAPPING_OK);
    await admin.click('#mapping-yaml-form button[value="preview"]');
    await admin.waitForSelector('#mapping-preview');
    // One column per stored record; the records map.
    expect(await admin.$$eval('#mapping-preview thead th', (r) => r.length)).toBe(6);
    expect(await admin.getAttribute('#mapping-preview', 'data-mapped')).toBe('5');
    await admin.click('#mapping-yaml-form button[value="save"]');
    await admin.waitForURL(/done=/);
    expect(await admin.textContent('.flash')).toContain('Mapping for salesforce saved');
    expect(await w.t.store.mappings.get('sf-orgdemo', 'salesforce')).toMatchObject({ object: 'Opportunity' });
  });

  it('shows the risk threshold mode in Settings, and switches it with the score ranges it gives', async () => {
    await admin.goto(`${w.url}/settings#h-thresholds`);
    expect(await admin.isChecked('#t-mode-relative')).toBe(true);
    const relative = (await admin.textContent('#t-effective'))!;
    expect(relative).toMatch(
      /^Base rate: \d+% of closed deals lost\. Relative thresholds give risk scores Low 0–\d+, Medium \d+–\d+, High \d+–\d+, Critical \d+–100\.$/,
    );
    await admin.check('#t-mode-fixed');
    await admin.fill('#t-high', '80');
    await admin.click('#h-thresholds ~ form button[type="submit"]');
    await admin.waitForURL(/done=/);
    expect(await admin.textContent('.flash')).toContain('Thresholds saved');
    expect(await admin.isChecked('#t-mode-fixed')).toBe(true);
    expect(await admin.getAttribute('#t-effective', 'data-mode')).toBe('fixed');
    expect(await admin.textContent('#t-effective')).toContain(
      'Fixed thresholds give risk scores Low 0–25, Medium 26–50, High 51–80, Critical 81–100.',
    );
    await shot(admin, 'settings-thresholds');
    // Back to the default for the pages after this one.
    await admin.check('#t-mode-relative');
    await admin.click('#h-thresholds ~ form button[type="submit"]');
    await admin.waitForURL(/done=/);
    expect(await admin.getAttribute('#t-effective', 'data-mode')).toBe('relative');
  });

  it('creates an API key shown once, which works until it is revoked', async () => {
    await admin.goto(`${w.url}/settings#h-keys`);
    await admin.fill('#k-name', 'BI export');
    await admin.click('#create-key');
    await admin.waitForSelector('#new-key');
    const secret = (await admin.textContent('#new-key'))!.trim();
    expect(secret).toMatch(/^drk_/);
    await shot(admin, 'settings-api-key');
    const call = () => fetch(`${w.url}/v1/deals/high-risk`, { headers: { authorization: `Bearer ${secret}` } });
    expect((await call()).status).toBe(200);
    await admin.goto(`${w.url}/settings#h-keys`);
    expect(await admin.content()).not.toContain(secret);
    await admin.click('tr[data-key="BI export"] button.danger');
    await admin.waitForURL(/done=/);
    expect(await admin.textContent('.flash')).toContain('revoked');
    expect((await call()).status).toBe(401);
  });

  it('signs a colleague in with the CRM identity as a viewer', async () => {
    who = { org: 'ORGDEMO', user: 'vic', name: 'Vic Viewer' };
    const viewer = await (await browser.newContext()).newPage();
    await viewer.goto(`${w.url}/deals`);
    await viewer.waitForURL(/\/signin/);
    await shot(viewer, 'signin');
    await viewer.click('#signin-salesforce');
    await viewer.click('#allow');
    await viewer.waitForURL(/\/deals$/);
    expect(await viewer.textContent('.who')).toContain('viewer');
    await viewer.goto(`${w.url}/settings`);
    expect(await viewer.$('#k-name')).toBeNull();
    // The mapping reads, but does not edit.
    expect(await viewer.isDisabled('#m-amount-from-0')).toBe(true);
    expect(await viewer.$('#mapping-save')).toBeNull();
    await viewer.close();
  });

  it('renders diagnostics, model and sync pages with their charts', async () => {
    for (const [path, name, charts] of [
      ['/diagnostics', 'diagnostics', 2],
      ['/model', 'model', 2],
      ['/sync', 'sync', 0],
    ] as const) {
      await admin.goto(`${w.url}${path}`);
      if (charts) {
        await admin.waitForSelector('html[data-charts="drawn"]');
        expect(await admin.$$eval('canvas[data-drawn="true"]', (c) => c.length)).toBe(charts);
      }
      await shot(admin, name);
    }
    expect(await admin.textContent('body')).toContain('not a number');
    await admin.goto(`${w.url}/model`);
    expect(await admin.getAttribute('[data-model-status]', 'data-model-status')).toMatch(/^(ok|experimental|no_signal)$/);
    // The status line says how the model compares with the base rate.
    expect(await admin.textContent('#model-status-reason')).toMatch(
      /log-loss 0\.\d{4}, (equal to|0\.\d{4} \(\d+\.\d%\) (better|worse) than) the base rate's/,
    );
    // Naive Bayes beside the model, measured on the same held-out deals, in a sentence and a column.
    expect(await admin.textContent('#model-baselines [data-baseline="naive_bayes"]')).toMatch(
      /^The model (ranks deals better than|and) naive Bayes over the same fields .*AUC \d\.\d\d vs \d\.\d\d/,
    );
    expect(await admin.$$eval('#model-backtest thead th', (ths) => ths.map((th) => th.textContent))).toContain('Naive Bayes (same fields)');
    // Segments name owners, not their CRM ids.
    const segments = await admin.$$eval('table td:first-child', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(segments).toContain('Owner: Ada Lovelace');
    expect(segments.some((t) => /^Owner: o\d+$/.test(t))).toBe(false);
    // Every page ran under the strict CSP without a violation or a script error.
    expect(consoleErrors).toEqual([]);
  });
  it('shows on the Model page the drift the last sync found and the last training decision, as the API does', async () => {
    const tenant = 'sf-orgdemo';
    const active = (await w.t.store.models.active(tenant))!;
    // What the sync's retrain step saves: 40 deals closed since training, predicted 20% lost, 55% were.
    const outcomes = Array.from({ length: 40 }, (_, i) => ({ score: i < 22 ? 25 : 14, lost: i < 22 }));
    const drift = driftOf(outcomes, 0.8, loadSyncConfig().retrain.drift);
    expect(drift.drifted).toBe(true);
    await w.t.store.tenantSync.saveDrift(tenant, { ...drift, modelId: active.id, at: '2026-11-24T09:00:00.000Z' });

    await admin.goto(`${w.url}/model`);
    expect(await admin.getAttribute('#model-drift', 'data-drifted')).toBe('true');
    expect(await admin.textContent('#model-drift')).toContain(
      `40 deals scored by version ${active.version} have closed since it was trained`,
    );
    expect(await admin.textContent('#drift-observed')).toBe('55%');
    expect(await admin.textContent('#drift-predicted')).toBe('20% predicted');
    expect(await admin.textContent('#drift-verdict')).toBe(
      'Drift: predicted loss rate 20% vs observed 55% on 40 closed deals. The next sync retrains.',
    );
    // seedRealPipeline trained version 2 with `dealrisk train --force`'s path.
    expect(await admin.textContent('#model-last-training')).toMatch(
      new RegExp(`^Last training .* \\(dealrisk train\\): activated as version ${active.version} \\(dealrisk train --force\\)\\. `),
    );
    await shot(admin, 'model-drift');

    const api = await admin.evaluate(() =>
      fetch('/v1/models/performance', { headers: { accept: 'application/json' } }).then((r) => r.json()),
    );
    expect(api.drift).toMatchObject({
      modelId: active.id,
      version: active.version,
      closedDeals: 40,
      observedLossRate: 0.55,
      drifted: true,
      reasons: drift.reasons,
    });
    expect(api.drift.predictedLossRate).toBeCloseTo(0.2005, 10);
    expect(api.lastTraining).toMatchObject({ reason: 'manual', accepted: true, forced: true, version: active.version });
    expect(consoleErrors).toEqual([]);
  });
});

/**
 * The mapping form against the sandbox CRM, as `npm start` runs it: Salesforce's describe feeds
 * the pickers, a first sync's records feed the live preview.
 */
describe.skipIf(!hasChromium)('the Settings mapping form in a real browser (Chromium, sandbox CRM)', () => {
  let sb: Sandbox;
  let w: Web;
  let browser: Browser;
  let page: Page;
  let tenant: string;
  const consoleErrors: string[] = [];
  /** The values a preview row shows, record by record. */
  const previewRow = (field: string) =>
    page.$$eval(`#mapping-preview tr[data-field="${field}"] td`, (tds) => tds.map((td) => td.textContent ?? ''));

  beforeAll(async () => {
    sb = await startSandbox({ deals: 30, seed: 4 });
    w = await startSandboxWeb(sb);
    tenant = `sf-${sb.salesforce.orgId.toLowerCase()}`;
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    page.on('console', (m) => {
      // Our pages only: the sandbox's consent page has no favicon.
      if (m.type() === 'error' && m.location().url.startsWith(w.url)) consoleErrors.push(`${m.text()} ${m.location().url}`);
    });
    await page.goto(`${w.url}/install`);
    await page.click('#connect-salesforce');
    await page.waitForURL((u) => u.toString().startsWith(sb.url));
    await page
      .locator('form button, form input[type="submit"]')
      .filter({ hasText: /allow|connect|grant|approve/i })
      .first()
      .click();
    await page.waitForURL(/\/\?done=/);
    expect(await storeFirstSync(w, tenant, 'salesforce')).toBeGreaterThan(10);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    await sb?.close();
  });

  it('picks a CRM field, sees the preview change, and the YAML follows', async () => {
    await page.goto(`${w.url}/settings#h-mapping`);
    expect(await page.textContent('#mapping-fields-note')).toMatch(/fields listed by Salesforce/);
    await page.fill('#m-account-region-from-0', 'Account.BillingCountry');
    await page.waitForSelector('#mapping-preview tr[data-field="account.region"].changed');

    expect(await page.textContent('#m-account-region-type-0')).toBe('string · Account: Billing Country');
    const regions = await previewRow('account.region');
    expect(regions).toEqual(await previewRow('account.country'));
    expect(regions.filter((v) => v !== '—').length).toBeGreaterThan(2);
    expect(await page.inputValue('#mapping-text')).toMatch(/account\.region:\n\s+from: Account\.BillingCountry/);
    await shot(page, 'settings-mapping');
  });

  it('shows an invalid choice next to its field, and clears it once corrected', async () => {
    await page.fill('#m-closedAt-formats', 'YYYY-MM-DD');
    await page.waitForSelector('#m-closedAt-err:not([hidden])');

    expect(await page.textContent('#m-closedAt-err')).toContain(
      'fields.closedAt.formats.0: unknown token "YYYY" (years are y, yy or yyyy)',
    );
    expect(await page.getAttribute('#row-closedAt', 'class')).toContain('invalid');
    expect(await page.getAttribute('#mapping-preview', 'data-state')).toBe('invalid');
    await shot(page, 'settings-mapping-invalid');
    await page.fill('#m-closedAt-formats', 'yyyy-MM-dd');
    await page.waitForSelector('#m-closedAt-err[hidden]', { state: 'attached' });
    await page.waitForSelector('#mapping-preview[data-state="ok"]');
  });

  it('follows the YAML view: an edit there shows in the form and the preview', async () => {
    await page.click('#mapping-advanced summary');
    const yaml = await page.inputValue('#mapping-text');
    await page.fill('#mapping-text', yaml.replace(/leadSource:\n(\s+)from: LeadSource/, 'leadSource:\n$1from: Account.Industry'));
    await page.waitForFunction(() => (document.getElementById('m-leadSource-from-0') as HTMLInputElement).value === 'Account.Industry');

    expect(await previewRow('leadSource')).toEqual(await previewRow('account.industry'));
    expect(await page.inputValue('#m-account-region-from-0')).toBe('Account.BillingCountry');
  });

  it('adds an extra with a label from a new row', async () => {
    await page.click('#extras .add-extra');
    const row = page.locator('#extras .map-row.extra').last();
    expect(await row.getAttribute('data-row')).toMatch(/^x\.\d+$/);
    await row.locator('.extra-name').fill('rating');
    await row.locator('input[name$=".label"]').fill('Account rating');
    await row.locator('input.pick').fill('Account.Rating');
    await page.waitForSelector('#mapping-preview tr[data-field="extras.rating"]');
  });

  it('saves the form, and the saved YAML has the picked field', async () => {
    await page.click('#mapping-save');
    await page.waitForURL(/done=/);

    expect(await page.textContent('.flash')).toContain('Mapping for salesforce saved');
    expect(await page.inputValue('#m-account-region-from-0')).toBe('Account.BillingCountry');
    expect(await page.inputValue('#mapping-text')).toMatch(/account\.region:\n\s+from: Account\.BillingCountry/);
    expect(await w.t.store.mappings.get(tenant, 'salesforce')).toMatchObject({
      fields: {
        'account.region': { from: 'Account.BillingCountry' },
        closedAt: { formats: ['yyyy-MM-dd'] },
        leadSource: { from: 'Account.Industry' },
        'extras.rating': { from: 'Account.Rating', label: 'Account rating' },
      },
    });
    expect(consoleErrors).toEqual([]);
  });
});
