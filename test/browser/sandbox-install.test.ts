import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { sandboxOAuthProviders } from '../../src/server/adapters/oauth.ts';
import { startTestWeb, type Web } from '../integration/server/harness.ts';
import { hasChromium, launch, shot } from './helpers.ts';

/**
 * The install flows against the sandbox CRM with the real connector OAuth helpers (jsforce for
 * Salesforce, the HubSpot token endpoint): consent page, code exchange with PKCE, tokens stored.
 */
describe.skipIf(!hasChromium)('install against the sandbox CRM (Chromium)', () => {
  let sb: Sandbox;
  let w: Web;
  let browser: Browser;
  beforeAll(async () => {
    sb = await startSandbox({ deals: 20, seed: 3 });
    w = await startTestWeb({
      oauth: sandboxOAuthProviders(sb, (await import('../../src/log.ts')).silentLogger()),
      sandbox: { url: sb.url, deals: 20 },
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await w?.close();
    await sb?.close();
  });

  it.each([
    ['salesforce', '#connect-salesforce', () => `sf-${sb.salesforce.orgId.toLowerCase()}`],
    ['hubspot', '#connect-hubspot', () => `hs-${sb.hubspot.portalId}`],
  ] as const)('connects %s through its consent page and lands on the overview', async (crm, button, tenantId) => {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${w.url}/install`);
    await page.click(button);
    await page.waitForURL((u) => u.toString().startsWith(sb.url));
    await shot(page, `sandbox-consent-${crm}`);
    await page
      .locator('form button, form input[type="submit"]')
      .filter({ hasText: /allow|connect|grant|approve/i })
      .first()
      .click();
    await page.waitForURL(/\/\?done=/);
    expect(await page.textContent('h1')).toBe('Overview');
    expect(await page.textContent('.sandbox')).toContain('sandbox CRM');
    const [conn] = await w.t.store.connections.list(tenantId());
    expect(conn).toMatchObject({ crm, status: 'active' });
    const creds = await w.t.store.connections.loadCredentials(tenantId(), conn!.id);
    expect(creds?.accessToken).toBeTruthy();
    expect(creds?.refreshToken).toBeTruthy();
    expect((await w.t.store.users.list(tenantId()))[0]?.role).toBe('admin');
    await page.close();
  });
});
