import { describe, expect, it } from 'vitest';
import { hubspotRecordUrl } from '../../../connectors/hubspot/record-url.ts';
import { salesforceRecordUrl } from '../../../connectors/salesforce/record-url.ts';

describe('links to a record in the CRM, built by its connector', () => {
  it("opens a Salesforce record in Lightning, on the org's instance", () => {
    expect(salesforceRecordUrl('https://acme.my.salesforce.com', '006dM00000A1b2C')).toBe(
      'https://acme.my.salesforce.com/lightning/r/Opportunity/006dM00000A1b2C/view',
    );
    expect(salesforceRecordUrl('https://acme.my.salesforce.com/', '006dM00000A1b2C', 'Deal__c')).toBe(
      'https://acme.my.salesforce.com/lightning/r/Deal__c/006dM00000A1b2C/view',
    );
    expect(salesforceRecordUrl(null, '006dM00000A1b2C')).toBeNull();
  });

  it("opens a HubSpot deal in the portal's app, or the sandbox's", () => {
    expect(hubspotRecordUrl('147893286', '9876')).toBe('https://app.hubspot.com/contacts/147893286/record/0-3/9876');
    expect(hubspotRecordUrl('147893286', '9876', 'http://127.0.0.1:4010/hs/')).toBe(
      'http://127.0.0.1:4010/hs/contacts/147893286/record/0-3/9876',
    );
    expect(hubspotRecordUrl(null, '9876')).toBeNull();
  });

  it('escapes an id that is not URL-safe', () => {
    expect(salesforceRecordUrl('https://x.my.salesforce.com', 'a/b?c')).toBe(
      'https://x.my.salesforce.com/lightning/r/Opportunity/a%2Fb%3Fc/view',
    );
    expect(hubspotRecordUrl('1', 'a/b')).toBe('https://app.hubspot.com/contacts/1/record/0-3/a%2Fb');
  });
});
