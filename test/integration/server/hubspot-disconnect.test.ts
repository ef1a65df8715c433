import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refreshAccessToken } from '../../../connectors/hubspot/oauth.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { hubspotProvider } from '../../../src/server/adapters/oauth.ts';
import { installInSandbox } from '../hubspot/support/sandbox-install.ts';

/** Disconnect in the web app uninstalls the app from the portal, through the real helpers. */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ deals: 20, seed: 5 });
});
afterAll(async () => {
  await sb?.close();
});

describe('HubSpot disconnect', () => {
  it('uninstalls the app from the portal with a fresh access token, after which no token of the install works', async () => {
    const creds = await installInSandbox(sb);
    const stored = await creds.load();
    // Hours later the stored access token (30 minutes) is dead; the uninstall still goes through.
    sb.clock.advance({ hours: 3 });
    const first = sb.state.calls.length;
    const provider = hubspotProvider({ clientId: sb.hubspot.clientId, clientSecret: sb.hubspot.clientSecret, apiBase: sb.hubspot.apiBase });
    await provider.revoke!(stored);

    const calls = sb.state.calls.slice(first).map((c) => `${c.method} ${c.path} ${c.status}`);
    expect(calls).toContain('DELETE /appinstalls/2026-03/external-install 204');
    await expect(
      refreshAccessToken({
        clientId: sb.hubspot.clientId,
        clientSecret: sb.hubspot.clientSecret,
        apiBase: sb.hubspot.apiBase,
        current: stored,
        now: () => sb.clock.now(),
      }),
    ).rejects.toMatchObject({ code: 'crm_auth_revoked' });
  });
});
