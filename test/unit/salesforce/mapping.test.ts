import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { MAPPINGS_DIR } from '../../../src/mapping/load.ts';
import { parseMapping, sourcePaths } from '../../../src/mapping/schema.ts';
import { toDeal } from '../../../src/mapping/to-deal.ts';

const FILE = path.join(MAPPINGS_DIR, 'salesforce.yaml');
const mapping = parseMapping(parseYaml(readFileSync(FILE, 'utf8')), FILE);

/** A REST row as the connector hands it over (attributes stripped, _derived added). */
function aRecord(data: Record<string, unknown> = {}) {
  return {
    id: '006dM00000Mw7VuQAJ',
    modifiedAt: new Date('2026-05-01T07:25:37Z'),
    data: {
      Id: '006dM00000Mw7VuQAJ',
      Name: 'United Oil Office Portable Generators',
      Amount: 125000,
      StageName: 'Negotiation/Review',
      IsClosed: false,
      IsWon: false,
      ForecastCategoryName: 'Pipeline',
      Probability: 90,
      CreatedDate: '2026-01-10T09:00:00.000+0000',
      CloseDate: '2026-02-24',
      OwnerId: '005dM00000aYf0qQAC',
      Owner: { Name: 'Ada Lovelace' },
      AccountId: '001dM00003jU9GxQAK',
      Account: { Name: 'Edge Communications', Industry: 'Electronics', BillingCountry: 'USA', NumberOfEmployees: 1000 },
      LeadSource: 'Web',
      Type: 'Existing Customer - Upgrade',
      LastActivityDate: '2026-04-20',
      NextStep: null,
      SystemModstamp: '2026-05-01T07:25:37.000+0000',
      _derived: {
        stageOrder: 3,
        stageHistory: [],
        stageEnteredAt: '2026-03-15T12:30:00.000Z',
        closeDatePushes: 2,
        closedAt: null,
        openTaskCount: 1,
        contactRoleCount: 0,
        accountSizeBand: '201-1000',
      },
      ...data,
    },
  };
}

describe('mappings/salesforce.yaml', () => {
  it('loads through the mapping schema', () => {
    expect(mapping.source).toBe('salesforce');
    expect(mapping.object).toBe('Opportunity');
  });

  it('selects standard fields and relationship fields, but not CurrencyIsoCode or derived values', () => {
    const paths = sourcePaths(mapping);
    expect(paths).toEqual(
      expect.arrayContaining([
        'Id',
        'Name',
        'Amount',
        'StageName',
        'IsClosed',
        'IsWon',
        'ForecastCategoryName',
        'Probability',
        'CloseDate',
        'CreatedDate',
        'OwnerId',
        'Owner.Name',
        'Account.Name',
        'Account.Industry',
        'Account.BillingCountry',
        'Account.NumberOfEmployees',
        'LeadSource',
        'Type',
        'LastActivityDate',
        'NextStep',
        'SystemModstamp',
      ]),
    );
    expect(paths).not.toContain('CurrencyIsoCode');
    expect(paths.some((p) => p.startsWith('_derived'))).toBe(false);
  });

  it('maps a recorded-shape opportunity onto the canonical deal', () => {
    const r = toDeal(aRecord(), mapping, { tenantId: 't1' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.deal).toMatchObject({
      source: 'salesforce',
      externalId: '006dM00000Mw7VuQAJ',
      amount: 125000,
      stage: { label: 'Negotiation/Review', status: 'open', order: 3 },
      crmProbability: 0.9,
      createdAt: new Date('2026-01-10T09:00:00Z'),
      expectedCloseDate: new Date('2026-02-24T00:00:00Z'),
      owner: { id: '005dM00000aYf0qQAC', name: 'Ada Lovelace' },
      account: { name: 'Edge Communications', industry: 'Electronics', country: 'USA', size: '201-1000' },
      dealType: 'expansion',
      stageEnteredAt: new Date('2026-03-15T12:30:00Z'),
      closeDatePushes: 2,
      activityCount: 1,
      contactsCount: 0,
      nextStep: null,
      modifiedAt: new Date('2026-05-01T07:25:37Z'),
      extras: { type: 'Existing Customer - Upgrade', employees: 1000 },
    });
  });

  it('decides won and lost from IsClosed/IsWon, whatever the stage is called', () => {
    const status = (IsClosed: boolean, IsWon: boolean, StageName: string) => {
      const r = toDeal(aRecord({ IsClosed, IsWon, StageName }), mapping, { tenantId: 't1' });
      return r.ok ? r.deal.stage.status : r.error.reason;
    };
    expect(status(true, true, 'Signed')).toBe('won');
    expect(status(true, false, 'Closed Won (typo in org)')).toBe('lost');
    expect(status(false, false, 'Closed Lost?')).toBe('open');
  });

  it('keeps a deal with no account as a deal with unknown account values', () => {
    const r = toDeal(aRecord({ AccountId: null, Account: null, Type: 'Partner Referral' }), mapping, { tenantId: 't1' });
    expect(r.ok && r.deal.account).toMatchObject({ id: null, name: null, industry: null });
    expect(r.ok && r.deal.dealType).toBeNull();
  });

  it('names the risk fields the issue asks for in its writeBack section', () => {
    expect(mapping.writeBack).toEqual({
      object: 'Opportunity',
      group: 'DealRisk',
      fields: {
        score: 'Risk_Score__c',
        category: 'Risk_Category__c',
        winProbability: 'Win_Probability__c',
        drivers: 'Risk_Drivers__c',
        action: 'Recommended_Action__c',
        scoredAt: 'Risk_Scored_At__c',
        modelStatus: 'Risk_Model_Status__c',
      },
      tasks: { enabled: true, keyField: 'Risk_Task_Key__c' },
    });
  });
});
