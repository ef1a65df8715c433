import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/context.ts';
import { silentLogger } from '../../src/log.ts';
import { createScoringService } from '../../src/scoring/service.ts';
import { sandboxOAuthProviders } from '../../src/server/adapters/oauth.ts';
import { scoringPort } from '../../src/server/adapters/scoring.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import { modelHealth } from '../../src/sync/requests.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { NOW, startTestWeb, type Web } from '../integration/server/harness.ts';
import { hasChromium, launch, shot } from './helpers.ts';

/**
 * The overview, the Forecast page and a deal page in Chromium, on a multi-currency HubSpot portal
 * whose reps set forecast categories: figures in dollars, the deals no rate converts listed, the
 * reps' calls next to the model's.
 */
describe.skipIf(!hasChromium)('forecast and currencies in a real browser (Chromium)', () => {
  let sb: Sandbox;
  let w: Web;
  let browser: Browser;
  let page: Page;
  const tenantId = () => `hs-${sb.hubspot.portalId}`;

  beforeAll(async () => {
    sb = await startSandbox({
      deals: 300,
      seed: 16,
      clockStart: NOW,
      currencies: { unrated: { code: 'CHF', every: 20 } },
      hubspot: { riskProperties: 'ready', forecastCategories: true },
      taskCompletionDays: null,
    });
    w = await startTestWeb({
      oauth: sandboxOAuthProviders(sb, silentLogger()),
      sandbox: { url: sb.url, deals: 300 },
      env: { HUBSPOT_CLIENT_ID: sb.hubspot.clientId, HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret },
      scoring: (t, now) => scoringPort(createScoringService({ store: t.store }), now, (id) => modelHealth({ store: t.store }, id)),
    });
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(10_000);
    // Install through the sandbox's consent page, then the first sync.
    await page.goto(`${w.url}/install`);
    await page.click('#connect-hubspot');
    await page.waitForURL((u) => u.toString().startsWith(sb.url));
    await page
      .locator('form button, form input[type="submit"]')
      .filter({ hasText: /allow|connect|grant|approve/i })
      .first()
      .click();
    await page.waitForURL(/\/\?done=/);
    const ctx: AppContext = { ...w.ctx, now: () => sb.clock.now() };
    const r = await syncTenant({ ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'browser' }, tenantId(), {
      base: loadSyncConfig(),
      trigger: 'test',
    });
    expect(r.runs[0]?.status).toBe('succeeded');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    await sb?.close();
  });

  it('shows the overview in dollars, lists the deals without a rate, and this quarter by rep', async () => {
    await page.goto(`${w.url}/`);
    expect(await page.getAttribute('[data-currency]', 'data-currency')).toBe('USD');
    expect(await page.textContent('.cards')).toMatch(/Raw pipeline[^$]*\$[\d,]+/);
    const unconverted = page.locator('#unconverted');
    expect(await unconverted.textContent()).toMatch(/are not in these amounts: no exchange rate for their close date \(CHF/);
    const rows = await unconverted.locator('tbody tr').count();
    expect(rows).toBe(
      sb.state.hubspot
        .deals()
        .filter((d) => d.properties.deal_currency_code === 'CHF' && !['closedwon', 'closedlost'].includes(String(d.properties.dealstage)))
        .length,
    );
    const q = page.locator('table.forecast[data-quarter="2026-Q4"]');
    expect(await q.locator('caption').textContent()).toContain('2026-Q4 (this quarter)');
    expect(await q.locator('tfoot th').textContent()).toBe('All reps');
    await shot(page, 'overview-forecast');
  });

  it('opens the Forecast page from the navigation: both quarters, the disagreements, and no track record yet', async () => {
    await page.click('nav a[href="/forecast"]');
    await page.waitForURL(/\/forecast$/);
    expect(await page.textContent('h1')).toBe('Forecast');
    expect(await page.locator('nav a[aria-current="page"]').textContent()).toBe('Forecast');
    expect(await page.locator('table.forecast').count()).toBe(2);
    const flagged = page.locator('h3[id^="commit-risk-2026-Q4"], h3[id^="pipeline-low-2026-Q4"], h3[id^="best-risk-2026-Q4"]');
    expect(await flagged.count()).toBeGreaterThan(0);
    // Each flagged deal links to its page, in its own currency with the dollar figure beside it.
    const link = page.locator('section[aria-label="2026-Q4"] table:not(.forecast) tbody tr td a').first();
    await shot(page, 'forecast');
    expect(await page.textContent('main')).toContain('No quarter has closed since the app began watching');
    await link.click();
    await page.waitForURL(/\/deals\//);
    expect(await page.textContent('main p')).toMatch(/(\$[\d,]+|[€£]|A\$|CHF)/);
  });

  it('shows a euro deal in euros with its dollar value on the deals list', async () => {
    await page.goto(`${w.url}/deals?risk_category=Low&risk_category=Medium&risk_category=High&risk_category=Critical&limit=200`);
    const cells = await page.$$eval('tbody tr td:nth-child(4)', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells.some((c) => /^€[\d,]+≈ \$[\d,]+$/.test(c.replace(/\s+/g, '')) || /€[\d,]+\s*≈ \$[\d,]+/.test(c))).toBe(true);
    expect(cells.some((c) => /CHF[\s\u00a0][\d,]+\s*no rate/.test(c))).toBe(true);
  });
});
