import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../connectors/hubspot/connector.ts';
import { HUBSPOT_SCOPES, uninstallApp } from '../../../connectors/hubspot/oauth.ts';
import type { DealUpdate, FetchPage, TaskRequest } from '../../../connectors/types.ts';
import { scopeRule } from '../../../sandbox/hubspot/scopes.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { hubspotMapping, type MemoryCredentials } from './support/connector.ts';
import { installInSandbox } from './support/sandbox-install.ts';

/**
 * The install asks for exactly the scopes the app's calls need: across setup, a first and an
 * hourly sync, write-back, tasks, a webhook-style read by id and the uninstall, no call is refused
 * for a scope, and every scope asked for is the only one that allows some call the app made.
 */
let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ deals: 180, seed: 23, hubspot: { searchLagMs: 5_000, associationPageSize: 2 } });
});
afterAll(async () => {
  await sb?.close();
});

const connectorFor = (creds: MemoryCredentials) =>
  createHubSpotConnector({
    tenantId: 't-scopes',
    mapping: hubspotMapping(),
    credentials: creds,
    clientId: sb.hubspot.clientId,
    clientSecret: sb.hubspot.clientSecret,
    now: () => sb.clock.now(),
  });

describe('HubSpot scopes end to end', () => {
  it('needs every scope the install asks for, and no other, for setup, sync, write-back, tasks and uninstall', async () => {
    const firstSeq = sb.state.calls.length;
    const creds = await installInSandbox(sb);
    const c = connectorFor(creds);

    await c.setup();
    // Settings' field picker: the deal properties API.
    expect((await c.describeFields()).some((f) => f.name === 'dealname')).toBe(true);
    const pages: FetchPage[] = [];
    for await (const p of c.fetchChanges({ cursor: null })) pages.push(p);
    const records = pages.flatMap((p) => p.records);
    expect(records.length).toBeGreaterThan(100);
    const ids = records.slice(0, 60).map((r) => r.id);
    const updates: DealUpdate[] = ids.map((id) => ({
      externalId: id,
      fields: {
        score: 81,
        category: 'Critical',
        winProbability: 0.2,
        drivers: 'No activity for 41 days',
        action: 'Call the buyer',
        scoredAt: sb.clock.now(),
        modelStatus: 'ok',
      },
    }));
    expect((await c.writeBack(updates)).filter((w) => !w.ok)).toEqual([]);
    const tasks: TaskRequest[] = ids.slice(0, 3).map((id) => ({
      key: `${id}:call-buyer`,
      dealExternalId: id,
      ownerId: null,
      subject: 'Risk: call the buyer',
      description: 'No activity for 41 days',
      priority: 'high',
      dueDate: new Date(sb.clock.now().getTime() + 86_400_000),
    }));
    expect((await c.upsertTasks(tasks)).map((t) => t.status)).toEqual(['created', 'created', 'created']);
    expect((await c.upsertTasks(tasks)).map((t) => t.status)).toEqual(['open', 'open', 'open']);
    expect((await c.fetchDealsById(ids.slice(0, 5))).records).toHaveLength(5);
    sb.clock.advance({ hours: 1 });
    for await (const p of c.fetchChanges({ cursor: pages.at(-1)!.cursor })) void p;
    await uninstallApp({ accessToken: (await creds.load()).accessToken, apiBase: sb.hubspot.apiBase });

    const calls = sb.state.calls.slice(firstSeq).filter((x) => x.crm === 'hs' && !x.path.startsWith('/oauth'));
    expect(calls.filter((x) => x.status === 403)).toEqual([]);
    // Setup asks for its property group first: a 404 there is how it learns to create it.
    expect(calls.filter((x) => x.status >= 400 && !(x.status === 404 && x.path.includes('/groups/')))).toEqual([]);
    const rules = calls.map((x) => ({
      call: `${x.method} ${x.path}`,
      rule: scopeRule(x.method, x.path.split('/').filter(Boolean).map(decodeURIComponent)),
    }));
    expect(rules.filter((r) => !r.rule).map((r) => r.call)).toEqual([]);
    const asked = new Set<string>(HUBSPOT_SCOPES);
    // A scope is needed when some call's requirement is met by it alone among the scopes asked for.
    const needed = new Map<string, string>();
    for (const { call, rule } of rules) {
      for (const group of rule!.need) {
        const meeting = group.filter((s) => asked.has(s));
        expect(meeting, `${call} needs one of ${group.join(', ')}`).not.toEqual([]);
        if (meeting.length === 1 && !needed.has(meeting[0]!)) needed.set(meeting[0]!, call);
      }
    }
    expect([...needed.keys()].sort()).toEqual([...HUBSPOT_SCOPES].sort());
    // The uninstall is the call that needs `oauth`, and it took the install's tokens with it.
    expect(needed.get('oauth')).toBe('DELETE /appinstalls/2026-03/external-install');
    const after = await c.fetchDealsById([ids[0]!]).catch((e: unknown) => e);
    expect(isAppError(after, 'crm_auth_revoked')).toBe(true);
  }, 120_000);

  it('fails a call, naming the missing scope, when the install lacks it', async () => {
    const creds = await installInSandbox(
      sb,
      HUBSPOT_SCOPES.filter((s) => s !== 'crm.objects.contacts.write'),
    );
    const c = connectorFor(creds);
    const deal = sb.state.hubspot.deals()[0]!;
    // A key no task carries yet: reading (contacts.read) passes, creating is refused.
    const e = await c
      .upsertTasks([
        {
          key: `${deal.id}:book-meeting`,
          dealExternalId: deal.id,
          ownerId: null,
          subject: 'Risk: call the buyer',
          description: 'Why',
          priority: 'high',
          dueDate: sb.clock.now(),
        },
      ])
      .catch((err: unknown) => err);
    expect(e).toMatchObject({ code: 'crm_permission_denied' });
    expect((e as Error).message).toContain('crm.objects.contacts.write');
  });
});
