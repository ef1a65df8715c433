import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeOAuth, startTestWeb, type Web } from '../integration/server/harness.ts';
import { scoringPort } from '../../src/server/adapters/scoring.ts';
import { createScoringService, type ScoringService } from '../../src/services/scoring.ts';
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
      scoring: (t, now) => scoringPort((service = createScoringService({ store: t.store })), now),
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
    const amounts = async () => (await admin.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => Number(td.textContent!.replace(/[^0-9]/g, '')))));
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

  it('shows a mapping validation error, then previews and saves a valid mapping', async () => {
    await admin.goto(`${w.url}/settings`);
    await admin.fill('#mapping-text', MAPPING_OK.replace('type: number', 'type: money'));
    await admin.click('button[value="save"]');
    await admin.waitForSelector('#mapping-errors');
    expect(await admin.textContent('#mapping-errors')).toContain('fields.amount.type');
    await shot(admin, 'settings-mapping-error');
    await admin.fill('#mapping-text', MAPPING_OK);
    await admin.click('button[value="preview"]');
    await admin.waitForSelector('#mapping-preview');
    expect(await admin.$$eval('#mapping-preview tbody tr', (r) => r.length)).toBe(5);
    await admin.click('button[value="save"]');
    await admin.waitForURL(/done=/);
    expect(await admin.textContent('.flash')).toContain('Mapping for salesforce saved');
    expect(await w.t.store.mappings.get('sf-orgdemo', 'salesforce')).toMatchObject({ object: 'Opportunity' });
  });

  it('shows the risk threshold mode in Settings, and switches it with the score ranges it gives', async () => {
    await admin.goto(`${w.url}/settings#h-thresholds`);
    expect(await admin.isChecked('#t-mode-relative')).toBe(true);
    const relative = (await admin.textContent('#t-effective'))!;
    expect(relative).toMatch(/^Base rate: \d+% of closed deals lost\. Relative thresholds give risk scores Low 0–\d+, Medium \d+–\d+, High \d+–\d+, Critical \d+–100\.$/);
    await admin.check('#t-mode-fixed');
    await admin.fill('#t-high', '80');
    await admin.click('#h-thresholds ~ form button[type="submit"]');
    await admin.waitForURL(/done=/);
    expect(await admin.textContent('.flash')).toContain('Thresholds saved');
    expect(await admin.isChecked('#t-mode-fixed')).toBe(true);
    expect(await admin.getAttribute('#t-effective', 'data-mode')).toBe('fixed');
    expect(await admin.textContent('#t-effective')).toContain('Fixed thresholds give risk scores Low 0–25, Medium 26–50, High 51–80, Critical 81–100.');
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
    expect(await admin.textContent('#model-status-reason')).toMatch(/log-loss 0\.\d{4}, (equal to|0\.\d{4} \(\d+\.\d%\) (better|worse) than) the base rate's/);
    // Segments name owners, not their CRM ids.
    const segments = await admin.$$eval('table td:first-child', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(segments).toContain('Owner: Ada Lovelace');
    expect(segments.some((t) => /^Owner: o\d+$/.test(t))).toBe(false);
    // Every page ran under the strict CSP without a violation or a script error.
    expect(consoleErrors).toEqual([]);
  });
});
