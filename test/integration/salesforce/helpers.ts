import nock from 'nock';
import {
  createSalesforceConnector,
  type SalesforceConnector,
  type SalesforceConnectorOptions,
} from '../../../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials } from '../../../connectors/types.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';
import type { Mapping } from '../../../src/mapping/schema.ts';

export const INSTANCE = 'https://acme.my.salesforce.com';
export const LOGIN = 'https://login.salesforce.com';
export const V = '/services/data/v66.0';
export const ORG_ID = '00Dxx0000001gPFEAY';
export const USER_ID = '005xx000001X8UzAAK';

/** Response headers as recorded (contracts/salesforce): JSON body plus Sforce-Limit-Info. */
export function sfHeaders(used = 900, limit = 15000): Record<string, string> {
  return { 'content-type': 'application/json;charset=UTF-8', 'sforce-limit-info': `api-usage=${used}/${limit}` };
}

/** Salesforce error bodies are arrays (contracts/salesforce, CRM-APIS §A10). */
export const sfError = (errorCode: string, message: string) => [{ message, errorCode }];

export interface MemoryCredentials extends CredentialStore {
  current: Credentials;
  saved: Credentials[];
  reauthReasons: string[];
}

export function memoryCredentials(overrides: Partial<Credentials> = {}): MemoryCredentials {
  const store: MemoryCredentials = {
    current: {
      accessToken: '00Dxx0000001gPF!AQ4AQ.old-access',
      refreshToken: '5Aep861-old-refresh',
      instanceUrl: INSTANCE,
      accountId: ORG_ID,
      authBaseUrl: LOGIN,
      scopes: ['api', 'refresh_token'],
      ...overrides,
    },
    saved: [],
    reauthReasons: [],
    async load() {
      return { ...store.current };
    },
    async save(c) {
      store.current = { ...c };
      store.saved.push({ ...c });
    },
    async markNeedsReauth(reason) {
      store.reauthReasons.push(reason);
    },
  };
  return store;
}

let seq = 0;
/** A 15-character-stable, 18-character Salesforce-looking id with a prefix (006 Opportunity). */
export function sfId(prefix = '006', n = ++seq): string {
  return `${prefix}dM00000${String(n).padStart(8, '0')}`.slice(0, 18);
}

/** Salesforce writes datetimes as `2026-05-01T07:25:37.000+0000`. */
export const sfDateTime = (d: Date): string => d.toISOString().replace('Z', '+0000');

/** An Opportunity row shaped like contracts/salesforce/opportunities.test.json, with relationships. */
export function anOpportunity(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const id = (overrides.Id as string) ?? sfId();
  return {
    attributes: { type: 'Opportunity', url: `${V}/sobjects/Opportunity/${id}` },
    Id: id,
    Name: 'United Oil Office Portable Generators',
    Amount: 125000,
    StageName: 'Negotiation/Review',
    IsClosed: false,
    IsWon: false,
    IsDeleted: false,
    ForecastCategoryName: 'Pipeline',
    Probability: 90,
    CreatedDate: '2026-01-10T09:00:00.000+0000',
    CloseDate: '2026-06-24',
    OwnerId: USER_ID,
    Owner: { attributes: { type: 'User', url: `${V}/sobjects/User/${USER_ID}` }, Name: 'Ada Lovelace' },
    AccountId: '001dM00003jU9GxQAK',
    Account: {
      attributes: { type: 'Account', url: `${V}/sobjects/Account/001dM00003jU9GxQAK` },
      Name: 'Edge Communications',
      Industry: 'Electronics',
      BillingCountry: 'USA',
      NumberOfEmployees: 1000,
    },
    LeadSource: 'Web',
    Type: 'New Customer',
    LastActivityDate: '2026-04-20',
    NextStep: 'Send revised quote',
    SystemModstamp: '2026-05-01T07:25:37.000+0000',
    ...overrides,
  };
}

export function queryPage(records: unknown[], o: { next?: string; totalSize?: number } = {}) {
  return {
    totalSize: o.totalSize ?? records.length,
    done: !o.next,
    ...(o.next ? { nextRecordsUrl: o.next } : {}),
    records,
  };
}

/** Matches a GET /query or /queryAll whose SOQL satisfies `test`. */
export function soqlMatching(test: (soql: string) => boolean) {
  return (q: Record<string, unknown>) => typeof q.q === 'string' && test(q.q);
}

export function salesforceMapping(): Mapping {
  return defaultMapping('salesforce');
}

export async function connectorFor(
  credentials: CredentialStore,
  overrides: Partial<SalesforceConnectorOptions> = {},
): Promise<SalesforceConnector> {
  return createSalesforceConnector({
    tenantId: 't-acme',
    mapping: salesforceMapping(),
    credentials,
    clientId: '3MVG9-client-id',
    clientSecret: 'client-secret-value',
    history: false,
    bulk: { pollIntervalMs: 1, maxPollIntervalMs: 1, sleep: async () => undefined },
    ...overrides,
  });
}

/** Collects every page of a fetch. */
export async function allPages<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const p of it) out.push(p);
  return out;
}

export function setupNock(): void {
  nock.disableNetConnect();
}

export function teardownNock(): void {
  nock.cleanAll();
  nock.enableNetConnect();
}

/** describe('Opportunity') fields as Salesforce reports them once setup created the risk fields. */
export function describeOpportunity(overrides: Record<string, Record<string, unknown>> = {}) {
  const field = (name: string, type: string, extra: Record<string, unknown> = {}) => ({
    name,
    type,
    length: 0,
    precision: 0,
    scale: 0,
    updateable: true,
    custom: name.endsWith('__c'),
    ...extra,
    ...(overrides[name] ?? {}),
  });
  return {
    name: 'Opportunity',
    label: 'Opportunity',
    fields: [
      field('Id', 'id', { length: 18, updateable: false }),
      field('Name', 'string', { length: 120 }),
      field('Risk_Score__c', 'double', { precision: 3, scale: 0 }),
      field('Risk_Category__c', 'picklist', {
        length: 255,
        picklistValues: ['Low', 'Medium', 'High', 'Critical'].map((v) => ({ value: v, active: true })),
      }),
      field('Win_Probability__c', 'percent', { precision: 5, scale: 2 }),
      field('Risk_Drivers__c', 'textarea', { length: 32768 }),
      field('Recommended_Action__c', 'textarea', { length: 32768 }),
      field('Risk_Scored_At__c', 'datetime'),
      field('Risk_Model_Status__c', 'string', { length: 40 }),
    ],
  };
}

/** A RiskFields value with overrides. */
export function riskFields(
  overrides: Partial<import('../../../connectors/types.ts').RiskFields> = {},
): import('../../../connectors/types.ts').RiskFields {
  return {
    score: 72,
    category: 'High',
    winProbability: 0.2834,
    drivers: 'No activity for 41 days\nClose date pushed 3 times\nDeal age 2.1× the segment median',
    action: 'Immediate: call the economic buyer\nThis week: agree a mutual close plan',
    scoredAt: new Date('2026-05-02T10:00:00Z'),
    modelStatus: 'ok',
    ...overrides,
  };
}
