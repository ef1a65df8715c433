import nock from 'nock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/core/errors.ts';
import {
  connectorFor,
  describeOpportunity,
  INSTANCE,
  memoryCredentials,
  ORG_ID,
  queryPage,
  setupNock,
  sfHeaders,
  soqlMatching,
  teardownNock,
  USER_ID,
  V,
} from './helpers.ts';

beforeEach(setupNock);
afterEach(teardownNock);

const SOAP = '/services/Soap/m/66.0';
const soap = (body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://soap.sforce.com/2006/04/metadata" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
const xml = { 'content-type': 'text/xml;charset=UTF-8' };

const RISK_FIELDS = [
  'Risk_Score__c',
  'Risk_Category__c',
  'Win_Probability__c',
  'Risk_Drivers__c',
  'Recommended_Action__c',
  'Risk_Scored_At__c',
  'Risk_Model_Status__c',
];
const ALL = [...RISK_FIELDS.map((f) => `Opportunity.${f}`), 'Activity.Risk_Task_Key__c'];

const found = (fullName: string, type: string) =>
  `<records xsi:type="CustomField"><fullName>${fullName}</fullName><label>x</label><type>${type}</type></records>`;
const notFound = '<records xsi:nil="true"/>';
const saved = (fullName: string, extra = '') => `<result>${extra}<fullName>${fullName}</fullName><success>true</success></result>`;
const PERMSET_ID = '0PSdM00000DealRkAA';

/**
 * `userIdStored: false` is a connection stored before credentials carried the user id: setup
 * reads it from the REST resource list (`api` scope) instead.
 */
function orgMocks(
  o: { existing: string[]; assigned: boolean; permsetsCreated: boolean; userIdStored: boolean },
  bodies: Record<string, string>,
) {
  const missing = ALL.filter((f) => !o.existing.includes(f));
  const scope = nock(INSTANCE)
    .post(SOAP, (b: string) => {
      if (!b.includes('<readMetadata>')) return false;
      bodies.read = b;
      return true;
    })
    .reply(
      200,
      soap(
        `<readMetadataResponse><result>${ALL.map((f) => (o.existing.includes(f) ? found(f, f.includes('Score') ? 'Number' : f.includes('Task') ? 'Text' : 'LongTextArea') : notFound)).join('')}</result></readMetadataResponse>`,
      ),
      xml,
    );
  if (missing.length) {
    scope
      .post(SOAP, (b: string) => {
        if (!b.includes('<createMetadata>')) return false;
        bodies.create = b;
        return true;
      })
      .reply(200, soap(`<createMetadataResponse>${missing.map((f) => saved(f)).join('')}</createMetadataResponse>`), xml);
  }
  scope
    .post(SOAP, (b: string) => {
      if (!b.includes('<upsertMetadata>')) return false;
      bodies.permsets = b;
      return true;
    })
    .reply(
      200,
      soap(
        `<upsertMetadataResponse>${['DealRisk_Integration', 'DealRisk_Reader'].map((n) => saved(n, `<created>${o.permsetsCreated}</created>`)).join('')}</upsertMetadataResponse>`,
      ),
      xml,
    )
    .get(`${V}/query`)
    .query(soqlMatching((q) => q === "SELECT Id FROM PermissionSet WHERE Name = 'DealRisk_Integration'"))
    .reply(200, queryPage([{ attributes: { type: 'PermissionSet' }, Id: PERMSET_ID }]), sfHeaders())
    .get(`${V}/query`)
    .query(
      soqlMatching(
        (q) => q === `SELECT Id FROM PermissionSetAssignment WHERE AssigneeId = '${USER_ID}' AND PermissionSetId = '${PERMSET_ID}'`,
      ),
    )
    .reply(200, queryPage(o.assigned ? [{ attributes: { type: 'PermissionSetAssignment' }, Id: '0PadM00000Assign1' }] : []), sfHeaders());
  if (!o.userIdStored)
    scope.get(`${V}/`).reply(200, { query: `${V}/query`, identity: `https://login.salesforce.com/id/${ORG_ID}/${USER_ID}` }, sfHeaders());
  if (!o.assigned) {
    scope
      .post(`${V}/sobjects/PermissionSetAssignment`, (b) => b.AssigneeId === USER_ID && b.PermissionSetId === PERMSET_ID)
      .reply(201, { id: '0PadM00000Assign1', success: true, errors: [] }, sfHeaders());
  }
  scope
    .get(`${V}/sobjects/Opportunity/describe`)
    .reply(200, describeOpportunity(), sfHeaders())
    .get(`${V}/sobjects/Task/describe`)
    .reply(
      200,
      {
        name: 'Task',
        fields: [
          { name: 'Id', type: 'id' },
          { name: 'Risk_Task_Key__c', type: 'string', length: 100, externalId: true },
        ],
      },
      sfHeaders(),
    );
  return scope;
}

describe('Salesforce setup', () => {
  it('creates the missing risk fields and the task key, grants them through permission sets, and assigns the editing one', async () => {
    const bodies: Record<string, string> = {};
    const scope = orgMocks({ existing: ['Opportunity.Risk_Score__c'], assigned: false, permsetsCreated: true, userIdStored: true }, bodies);
    const sf = await connectorFor(memoryCredentials({ userId: USER_ID }));

    const report = await sf.setup();

    expect(scope.isDone()).toBe(true);
    expect(report.existing).toEqual(['Opportunity.Risk_Score__c']);
    expect(report.created).toEqual([
      ...ALL.filter((f) => f !== 'Opportunity.Risk_Score__c'),
      'PermissionSet DealRisk_Integration',
      'PermissionSet DealRisk_Reader',
      `PermissionSetAssignment DealRisk_Integration → ${USER_ID}`,
    ]);
    expect(report.warnings).toEqual([]);
    for (const f of ALL) expect(bodies.read).toContain(`<fullNames>${f}</fullNames>`);
    expect(bodies.create).not.toContain('Opportunity.Risk_Score__c');
    expect(bodies.create).toContain(
      '<fullName>Opportunity.Win_Probability__c</fullName><description>dealrisk: calibrated probability that this deal is won.</description>',
    );
    expect(bodies.create).toMatch(
      /<fullName>Opportunity\.Win_Probability__c<\/fullName>.*?<precision>5<\/precision><scale>2<\/scale><type>Percent<\/type>/,
    );
    expect(bodies.create).toMatch(
      /<fullName>Opportunity\.Risk_Category__c<\/fullName>.*?<type>Picklist<\/type><valueSet><restricted>true<\/restricted>.*<fullName>Critical<\/fullName>/,
    );
    expect(bodies.create).toMatch(
      /<fullName>Activity\.Risk_Task_Key__c<\/fullName><caseSensitive>true<\/caseSensitive>.*<externalId>true<\/externalId>.*<unique>true<\/unique>/,
    );
    // Task and Event share the Activity field's security: both entries, or one counts as disabled.
    expect(bodies.permsets).toContain(
      '<fieldPermissions><editable>true</editable><field>Task.Risk_Task_Key__c</field><readable>true</readable></fieldPermissions>',
    );
    expect(bodies.permsets).toContain(
      '<fieldPermissions><editable>true</editable><field>Event.Risk_Task_Key__c</field><readable>true</readable></fieldPermissions>',
    );
    expect(bodies.permsets).toContain('<fullName>DealRisk_Reader</fullName>');
    expect(bodies.permsets).toContain(
      '<fieldPermissions><editable>false</editable><field>Opportunity.Risk_Score__c</field><readable>true</readable></fieldPermissions>',
    );
    expect((bodies.permsets!.match(/<editable>false<\/editable>/g) ?? []).length).toBe(7);
  });

  it('creates nothing on a second run, finding the integration user of older credentials in the REST resource list', async () => {
    const bodies: Record<string, string> = {};
    const scope = orgMocks({ existing: ALL, assigned: true, permsetsCreated: false, userIdStored: false }, bodies);
    const sf = await connectorFor(memoryCredentials());

    const report = await sf.setup();

    expect(scope.isDone()).toBe(true);
    expect(report.created).toEqual([]);
    expect(report.existing).toEqual([
      ...ALL,
      'PermissionSet DealRisk_Integration',
      'PermissionSet DealRisk_Reader',
      `PermissionSetAssignment DealRisk_Integration → ${USER_ID}`,
    ]);
    expect(report.warnings.join('\n')).toMatch(
      /Opportunity\.Risk_Category__c exists as LongTextArea; category needs one of Picklist, Text/,
    );
  });

  it('says which permission is missing when the Metadata API refuses', async () => {
    nock(INSTANCE)
      .post(SOAP)
      .reply(
        500,
        soap(
          '<soapenv:Fault><faultcode>sf:INSUFFICIENT_ACCESS</faultcode><faultstring>INSUFFICIENT_ACCESS: insufficient access rights</faultstring></soapenv:Fault>',
        ),
        xml,
      );
    const sf = await connectorFor(memoryCredentials());

    const err = await sf.setup().catch((e) => e);

    expect(isAppError(err, 'crm_permission_denied')).toBe(true);
    expect(err.message).toMatch(/Modify Metadata Through Metadata API Functions.*sf project deploy start/);
  });
});
