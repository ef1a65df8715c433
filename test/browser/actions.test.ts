import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedActionRecords } from '../helpers/action-tasks.ts';
import { fakeOAuth, NOW, startTestWeb, type Web } from '../integration/server/harness.ts';
import { hasChromium, launch, shot, startConsentServer } from './helpers.ts';

describe.skipIf(!hasChromium)('the Actions page in a real browser (Chromium)', () => {
  let w: Web;
  let consent: Awaited<ReturnType<typeof startConsentServer>>;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    consent = await startConsentServer(() => ({ org: 'ORGACT', user: 'ada', name: 'Ada Admin' }));
    w = await startTestWeb({ oauth: { salesforce: fakeOAuth('salesforce', consent.url), hubspot: fakeOAuth('hubspot', consent.url) } });
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.setDefaultTimeout(8000);
    page.on('console', (m) => {
      // A status the page asked for shows here too; the pages' own statuses are asserted where they matter.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource: the server responded with a status of 404'))
        consoleErrors.push(m.text());
    });
    await page.goto(`${w.url}/install`);
    await page.click('#connect-salesforce');
    await page.waitForSelector('#allow');
    await page.click('#allow');
    await page.waitForURL(/\/\?done=/);
    await seedActionRecords(w.t.store, 'sf-orgact', NOW);
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    await consent?.close();
  });

  it('opens from the navigation and shows each action with its figures and the caveat', async () => {
    await page.click('nav a[href="/actions"]');
    await page.waitForURL(/\/actions$/);
    expect(await page.textContent('h1')).toBe('Actions');
    expect(await page.getAttribute('nav a[href="/actions"]', 'aria-current')).toBe('page');
    expect(await page.textContent('#actions-caveat')).toContain('Observed association, not proof of cause');
    const mt = page.locator('tr[data-action="multithread"]');
    expect(await mt.locator('td').nth(0).textContent()).toBe('60');
    expect(await mt.locator('td').nth(1).textContent()).toContain('30 of 60');
    expect(await mt.textContent()).toContain('lower loss when acted on');
    expect(await page.locator('tr[data-action="deal_review"] td.withheld').first().textContent()).toContain('needs 30 matched deals');
    expect(await page.locator('#rep-completion tbody tr').count()).toBe(2);
    await shot(page, 'actions');
  });

  it('groups by playbook rule from the form, keeping the choice in the address', async () => {
    await page.selectOption('#by', 'rule');
    await Promise.all([page.waitForURL(/by=rule/), page.click('form.filters button[type="submit"]')]);
    expect(await page.$$eval('#action-outcomes tbody tr', (rows) => rows.map((r) => r.getAttribute('data-action')))).toEqual([
      'high_risk_review',
      'single_threaded',
    ]);
    expect(await page.inputValue('#by')).toBe('rule');
  });

  it('logs no console error', () => {
    expect(consoleErrors).toEqual([]);
  });
});
