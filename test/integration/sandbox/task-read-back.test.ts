import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHubSpotConnector } from '../../../connectors/hubspot/connector.ts';
import { createSalesforceConnector } from '../../../connectors/salesforce/index.ts';
import type { Connector, CredentialStore, Credentials, TaskRequest } from '../../../connectors/types.ts';
import { type Sandbox, startSandbox } from '../../../sandbox/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import { installInSandbox } from '../hubspot/support/sandbox-install.ts';

// The real jsforce and HubSpot SDK against the sandbox CRM on loopback: tasks created through
// each connector, completed by the sandbox's reps (taskCompletionDays), read back.
let sb: Sandbox;
const DAY = 86_400_000;

beforeAll(async () => {
  sb = await startSandbox({ deals: 120, seed: 5, salesforce: { riskFields: 'ready' }, hubspot: { riskProperties: 'ready' } });
});
afterAll(async () => sb?.close());

function memory(c: Credentials): CredentialStore {
  let creds = c;
  return {
    load: async () => ({ ...creds }),
    save: async (n) => {
      creds = { ...n };
    },
    markNeedsReauth: async () => undefined,
  };
}

async function salesforce(): Promise<Connector> {
  const t = sb.salesforce.issueTokens();
  return createSalesforceConnector({
    tenantId: 't-sf',
    mapping: defaultMapping('salesforce'),
    credentials: memory({
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? null,
      instanceUrl: t.instance_url,
      authBaseUrl: sb.salesforce.loginUrl,
      accountId: sb.salesforce.orgId,
    }),
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    loginUrl: sb.salesforce.loginUrl,
  });
}

async function hubspot(): Promise<Connector> {
  return createHubSpotConnector({
    tenantId: 't-hs',
    mapping: defaultMapping('hubspot'),
    credentials: await installInSandbox(sb),
    clientId: sb.hubspot.clientId,
    clientSecret: sb.hubspot.clientSecret,
    now: () => sb.clock.now(),
  });
}

const task = (deal: string, action: string): TaskRequest => ({
  key: `${deal}:${action}`,
  dealExternalId: deal,
  ownerId: null,
  subject: `Follow up (${action})`,
  description: 'Risk follow-up',
  priority: 'normal',
  dueDate: new Date(sb.clock.now().getTime() + 7 * DAY),
});

describe('reading back the tasks we created, against the sandbox CRM', () => {
  it('Salesforce: reports each task the rep completed, with its CompletedDateTime, once the rep has', { timeout: 60_000 }, async () => {
    const sf = await salesforce();
    const open = sb.state.salesforce
      .opportunities()
      .filter((o) => o.IsClosed === false)
      .slice(0, 4)
      .map((o) => String(o.Id));
    const made = await sf.upsertTasks(open.map((id) => task(id, 'multithread')));
    const ids = made.map((r) => r.taskId!);
    expect(made.every((r) => r.status === 'created')).toBe(true);
    const since = new Date(sb.clock.now().getTime() - 3_600_000);

    const before = await sf.readTaskStates!({ taskIds: ids, mark: null, since });
    expect(before.states).toEqual([]);

    sb.clock.advance({ days: 40 });
    const calls = sf.usage().calls;
    const after = await sf.readTaskStates!({ taskIds: ids, mark: before.mark, since });
    expect(sf.usage().calls - calls).toBe(1);
    const done = new Map(
      sb.state.salesforce
        .tasks()
        .filter((t) => ids.includes(String(t.Id)))
        .map((t) => [String(t.Id), new Date(String(t.CompletedDateTime).replace('+0000', 'Z'))]),
    );
    expect(done.size).toBe(4);
    expect(after.states.map((s) => [s.taskId, s.status, s.completedAt]).sort()).toEqual(
      ids.map((id) => [id, 'completed', done.get(id)]).sort(),
    );
    // From the new mark, only changes inside the overlap come again.
    const again = await sf.readTaskStates!({ taskIds: ids, mark: after.mark, since });
    expect(again.states.length).toBeLessThan(after.states.length);
  });

  it('HubSpot: searches 100 ids at a time and reports the completed tasks with hs_task_completion_date', { timeout: 60_000 }, async () => {
    const hs = await hubspot();
    // Any 60 deals (the clock has moved on: fewer are still open).
    const open = sb.state.hubspot
      .deals()
      .slice(0, 60)
      .map((d) => d.id);
    expect(open.length).toBe(60);
    const made = await hs.upsertTasks([...open.map((id) => task(id, 'multithread')), ...open.map((id) => task(id, 'deal_review'))]);
    const ids = made.map((r) => r.taskId!);
    expect(new Set(ids).size).toBe(120);
    const before = await hs.readTaskStates!({ taskIds: ids, mark: null, since: sb.clock.now() });
    expect(before.states).toEqual([]);

    sb.clock.advance({ days: 40 });
    const after = await hs.readTaskStates!({ taskIds: ids, mark: null, since: sb.clock.now() });
    const tasks = new Map(sb.state.hubspot.tasks().map((t) => [t.id, t.properties]));
    expect(after.states).toHaveLength(120);
    for (const s of after.states) {
      expect(tasks.get(s.taskId)!.hs_task_status).toBe('COMPLETED');
      expect(s.completedAt).toEqual(new Date(tasks.get(s.taskId)!.hs_task_completion_date!));
    }
  });

  it('HubSpot sandbox: refuses an IN filter of more than 100 values, as docs/crm-limits.md says', async () => {
    const creds = await (await installInSandbox(sb)).load();
    const res = await fetch(`${sb.hubspot.apiBase}/crm/v3/objects/tasks/search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${creds.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        filterGroups: [
          { filters: [{ propertyName: 'hs_object_id', operator: 'IN', values: Array.from({ length: 101 }, (_, i) => String(i)) }] },
        ],
        limit: 100,
      }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ category: 'VALIDATION_ERROR' });
  });
});
