import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keyInBody, keyMarker } from '../../../connectors/hubspot/tasks.ts';
import type { TaskRequest } from '../../../connectors/types.ts';
import { MemoryCredentials, makeConnector, oauthCredentials, TestClock } from './support/connector.ts';
import { aDeal, FakeHubSpot, recorded } from './support/fake-hubspot.ts';

const API = 'https://api.hubapi.com';
let fake: FakeHubSpot | null = null;
beforeEach(() => nock.disableNetConnect());
afterEach(() => {
  fake?.stop();
  fake = null;
  nock.cleanAll();
});

/** A property as the properties API returns it (recorded create-property response). */
const propertyLike = (over: Record<string, unknown>): Record<string, unknown> => ({
  ...(recorded('create-property.test.json', 'post', '/crm/v3/properties/contacts').response as object),
  ...over,
});

describe('HubSpot setup', () => {
  it('sets up the deal properties and nothing on tasks, whose key needs no property', async () => {
    const clock = new TestClock();
    // Every interceptor answered and nothing else asked: a call to /crm/v3/properties/tasks would throw under disableNetConnect.
    nock(API)
      .get('/crm/v3/properties/deals/groups/deal_risk')
      .reply(200, { name: 'deal_risk', label: 'Deal Risk', displayOrder: -1, archived: false })
      .get('/crm/v3/properties/deals')
      .query(true)
      .reply(200, {
        results: [
          'risk_score',
          'risk_category',
          'risk_win_probability',
          'risk_drivers',
          'risk_recommended_action',
          'risk_scored_at',
          'risk_model_status',
        ].map((name) =>
          propertyLike({
            name,
            type:
              name === 'risk_category'
                ? 'enumeration'
                : name === 'risk_scored_at'
                  ? 'datetime'
                  : /score|probability/.test(name)
                    ? 'number'
                    : 'string',
            groupName: 'deal_risk',
            options: ['Low', 'Medium', 'High', 'Critical'].map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
          }),
        ),
      });
    const report = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).setup();
    expect(nock.isDone()).toBe(true);
    expect(report.created).toEqual([]);
    expect(report.existing).toHaveLength(8);
    expect(report.warnings).toEqual([]);
  });

  it('creates the group and only the missing properties, reusing the ones that exist', async () => {
    const clock = new TestClock();
    const created: Array<{ name: string; type: string; fieldType: string; groupName: string; options?: unknown[] }> = [];
    nock(API)
      .get('/crm/v3/properties/deals/groups/deal_risk')
      .reply(404, { status: 'error', message: 'Unable to find property group deal_risk', category: 'OBJECT_NOT_FOUND', correlationId: 'x' })
      .post('/crm/v3/properties/deals/groups', { name: 'deal_risk', label: 'Deal Risk', displayOrder: -1 })
      .reply(201, { name: 'deal_risk', label: 'Deal Risk', displayOrder: -1, archived: false })
      .get('/crm/v3/properties/deals')
      .query({ archived: 'false' })
      .reply(200, {
        results: [
          propertyLike({ name: 'dealname', type: 'string', fieldType: 'text', groupName: 'dealinformation' }),
          propertyLike({ name: 'risk_score', type: 'number', fieldType: 'number', groupName: 'deal_risk' }),
          propertyLike({
            name: 'risk_category',
            type: 'enumeration',
            fieldType: 'select',
            groupName: 'deal_risk',
            options: ['Low', 'Medium', 'High'].map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
          }),
        ],
      })
      .post('/crm/v3/properties/deals', (b) => {
        created.push(b as never);
        return true;
      })
      .times(4)
      .reply(201, async (req: Request) => propertyLike((await req.json()) as Record<string, unknown>))
      .post('/crm/v3/properties/deals', (b) => (b as { name: string }).name === 'risk_model_status')
      .reply(409, {
        status: 'error',
        message: 'Property named risk_model_status already exists',
        category: 'CONFLICT',
        correlationId: 'x',
      });
    const report = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).setup();
    expect(nock.isDone()).toBe(true);
    expect(created.map((p) => [p.name, p.type, p.fieldType, p.groupName])).toEqual([
      ['risk_win_probability', 'number', 'number', 'deal_risk'],
      ['risk_drivers', 'string', 'textarea', 'deal_risk'],
      ['risk_recommended_action', 'string', 'textarea', 'deal_risk'],
      ['risk_scored_at', 'datetime', 'date', 'deal_risk'],
    ]);
    expect(report.created).toEqual([
      'deals group deal_risk',
      'deals.risk_win_probability',
      'deals.risk_drivers',
      'deals.risk_recommended_action',
      'deals.risk_scored_at',
    ]);
    expect(report.existing).toEqual(['deals.risk_score', 'deals.risk_category', 'deals.risk_model_status']);
    expect(report.warnings).toEqual(['deals.risk_category lacks options Critical: those categories will be refused']);
  });
});

const task = (deal: string, action: string, over: Partial<TaskRequest> = {}): TaskRequest => ({
  key: `${deal}:${action}`,
  dealExternalId: deal,
  ownerId: '88842095',
  subject: `Risk: ${action}`,
  description: 'Why: no contact for 41 days and the close date moved 3 times.',
  priority: 'high',
  dueDate: new Date('2026-11-26T09:00:00Z'),
  ...over,
});

describe('HubSpot upsertTasks', () => {
  it('creates one task per new key, reports open and completed ones, and creates nothing twice', async () => {
    const clock = new TestClock();
    const d = aDeal(1);
    fake = new FakeHubSpot({
      deals: [d],
      tasks: [
        // One made by this version (key in the body), one by an earlier one (unique key property), one a rep's own.
        {
          id: '477970581703',
          dealId: d.id,
          properties: { hs_task_body: `Book it\n\n${keyMarker(`${d.id}:book-meeting`)}`, hs_task_status: 'NOT_STARTED' },
        },
        { id: '477970581704', dealId: d.id, properties: { risk_task_key: `${d.id}:send-recap`, hs_task_status: 'COMPLETED' } },
        {
          id: '477970581705',
          dealId: d.id,
          properties: { hs_task_body: 'Call the buyer back about pricing', hs_task_status: 'NOT_STARTED' },
        },
      ],
    });
    const c = makeConnector(clock, new MemoryCredentials(oauthCredentials(clock)));
    const requests = [task(d.id, 'book-meeting'), task(d.id, 'send-recap'), task(d.id, 'call-buyer'), task(d.id, 'call-buyer')];
    const first = await c.upsertTasks(requests);
    expect(first.map((r) => [r.key.split(':')[1], r.status, r.taskId])).toEqual([
      ['book-meeting', 'open', '477970581703'],
      ['send-recap', 'completed', '477970581704'],
      ['call-buyer', 'created', expect.any(String)],
      ['call-buyer', 'created', expect.any(String)],
    ]);
    const made = fake.tasks.find((t) => keyInBody(t.properties.hs_task_body) === `${d.id}:call-buyer`)!;
    expect(made.dealId).toBe(d.id);
    expect(made.properties).toMatchObject({
      hubspot_owner_id: '88842095',
      hs_task_priority: 'HIGH',
      hs_timestamp: '2026-11-26T09:00:00.000Z',
      hs_task_subject: 'Risk: call-buyer',
    });
    expect(made.properties.hs_task_body).toContain(requests[2]!.description);
    const create = fake.log.find((r) => r.path === '/crm/v3/objects/tasks/batch/create')!.body as {
      inputs: Array<{ associations: unknown }>;
    };
    expect(create.inputs).toHaveLength(1);
    expect(create.inputs[0]!.associations).toEqual([
      { to: { id: d.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 216 }] },
    ]);

    const second = await c.upsertTasks(requests);
    expect(second.map((r) => r.status)).toEqual(['open', 'completed', 'open', 'open']);
    expect(fake.tasks).toHaveLength(4);
    expect(fake.count('/crm/v3/objects/tasks/batch/create')).toBe(1);
    // Found through the deal's associations, never through the lagging search index.
    expect(fake.count('/crm/v3/objects/tasks/search')).toBe(0);
  });

  it('finds a keyed task on a deal whose tasks fill more than one association page', async () => {
    const clock = new TestClock();
    const d = aDeal(2);
    const tasks = Array.from({ length: 7 }, (_, i) => ({
      id: String(477970590000 + i),
      dealId: d.id,
      properties: { hs_task_body: i === 6 ? keyMarker(`${d.id}:call-buyer`) : `Rep task ${i}`, hs_task_status: 'NOT_STARTED' },
    }));
    fake = new FakeHubSpot({ deals: [d], tasks, associationPageSize: 3 });
    const [r] = await makeConnector(clock, new MemoryCredentials(oauthCredentials(clock))).upsertTasks([task(d.id, 'call-buyer')]);
    expect(r).toMatchObject({ status: 'open', taskId: '477970590006' });
    expect(fake.count('/crm/v4/associations/deals/tasks/batch/read')).toBe(3);
    expect(fake.count('/crm/v3/objects/tasks/batch/create')).toBe(0);
  });
});
