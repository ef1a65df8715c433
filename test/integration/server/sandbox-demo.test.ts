import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { sandboxOAuthProviders } from '../../../src/server/adapters/oauth.ts';
import { connectSandboxDemo } from '../../../src/server/demo.ts';
import { startTestWeb, type Web } from './harness.ts';

describe('the embedded demo connects the sandbox CRMs through the install flow', () => {
  let sb: Sandbox;
  let w: Web;
  beforeAll(async () => {
    sb = await startSandbox({ deals: 10, seed: 5 });
    w = await startTestWeb({ oauth: sandboxOAuthProviders(sb, silentLogger()), sandbox: { url: sb.url } });
  });
  afterAll(async () => {
    await w.close();
    await sb.close();
  });

  it.each(['salesforce', 'hubspot'] as const)('installs %s: connection with tokens, an admin, a first sync requested', async (crm) => {
    const r = await connectSandboxDemo(w.url, crm);
    expect(r.landedOn).toMatch(/\/\?done=/);
    const tenant = crm === 'salesforce' ? `sf-${sb.salesforce.orgId.toLowerCase()}` : `hs-${sb.hubspot.portalId}`;
    const [c] = await w.t.store.connections.list(tenant);
    expect(c).toMatchObject({ crm, status: 'active', hasCredentials: true });
    expect(c!.instanceUrl ?? '').toContain(sb.url.replace('http://', ''));
    expect((await w.t.store.users.list(tenant)).map((u) => u.role)).toEqual(['admin']);
    expect(w.calls).toContainEqual({ op: 'requestSync', tenantId: tenant });
    // The next start (a restarted sandbox issues new tokens): signed in as the admin, it re-authorizes.
    const before = await w.t.store.connections.loadCredentials(tenant, c!.id);
    expect((await connectSandboxDemo(w.url, crm)).landedOn).toMatch(/\/sync\?done=Re-authorized/);
    expect((await w.t.store.connections.list(tenant)).map((x) => x.id)).toEqual([c!.id]);
    expect((await w.t.store.connections.loadCredentials(tenant, c!.id))?.accessToken).not.toBe(before?.accessToken);
  });
});
