import { SF_PREFIX } from '../ids.ts';
import type { FieldDef, ObjectDef, SfType } from '../soql/schema.ts';

/** Stage ladder of the sandbox org's sales process (Salesforce's standard picklist values). */
export const SF_STAGES = [
  { name: 'Prospecting', probability: 10, forecast: 'Pipeline' },
  { name: 'Qualification', probability: 10, forecast: 'Pipeline' },
  { name: 'Needs Analysis', probability: 20, forecast: 'Pipeline' },
  { name: 'Value Proposition', probability: 50, forecast: 'Pipeline' },
  { name: 'Proposal/Price Quote', probability: 75, forecast: 'Best Case' },
  { name: 'Negotiation/Review', probability: 90, forecast: 'Commit' },
  { name: 'Closed Won', probability: 100, forecast: 'Closed' },
  { name: 'Closed Lost', probability: 0, forecast: 'Omitted' },
] as const;
export const SF_OPEN_STAGES = 6;

export const SF_LEAD_SOURCE = {
  web: 'Web',
  referral: 'Employee Referral',
  partner: 'Partner Referral',
  event: 'Trade Show',
  outbound: 'Purchased List',
  paid: 'Advertisement',
} as const;
export const SF_TYPE = {
  new: 'New Customer',
  expansion: 'Existing Customer - Upgrade',
  renewal: 'Existing Customer - Replacement',
} as const;

type Opt = Partial<Omit<FieldDef, 'name' | 'type'>>;

function f(name: string, type: SfType, opt: Opt = {}): FieldDef {
  const system = ['Id', 'IsDeleted', 'CreatedDate', 'CreatedById', 'LastModifiedDate', 'LastModifiedById', 'SystemModstamp'].includes(name);
  const writable = !system && type !== 'address';
  return {
    name,
    type,
    label: name
      .replace(/__c$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .replace(/_/g, ' '),
    custom: name.endsWith('__c'),
    updateable: writable,
    createable: writable,
    nillable: !['Id', 'IsDeleted', 'Name', 'boolean'].includes(name) && type !== 'boolean',
    ...(type === 'string' ? { length: 255 } : {}),
    ...opt,
  };
}
const ro: Opt = { updateable: false, createable: false };
const ref = (name: string, to: string, rel: string, opt: Opt = {}) =>
  f(name, 'reference', { referenceTo: [to], relationshipName: rel, ...opt });
const picklist = (name: string, values: readonly string[], opt: Opt = {}) => f(name, 'picklist', { picklistValues: [...values], ...opt });
const audit = () => [
  f('CreatedDate', 'datetime', ro),
  ref('CreatedById', 'User', 'CreatedBy', ro),
  f('LastModifiedDate', 'datetime', ro),
  ref('LastModifiedById', 'User', 'LastModifiedBy', ro),
  f('SystemModstamp', 'datetime', ro),
];

function obj(name: string, plural: string, fields: FieldDef[], children: ObjectDef['childRelationships'] = []): ObjectDef {
  return {
    name,
    label: name.replace(/([a-z])([A-Z])/g, '$1 $2'),
    labelPlural: plural,
    keyPrefix: (SF_PREFIX as Record<string, string>)[name] ?? '000',
    fields,
    childRelationships: children,
    createable: true,
    updateable: true,
    deletable: true,
  };
}

const address = (p: string) => [
  f(`${p}Street`, 'textarea'),
  f(`${p}City`, 'string', { length: 40 }),
  f(`${p}State`, 'string', { length: 80 }),
  f(`${p}PostalCode`, 'string', { length: 20 }),
  f(`${p}Country`, 'string', { length: 80 }),
  f(`${p}StateCode`, 'picklist'),
  f(`${p}CountryCode`, 'picklist'),
  f(`${p}Latitude`, 'double'),
  f(`${p}Longitude`, 'double'),
  f(`${p}GeocodeAccuracy`, 'picklist'),
  f(`${p}Address`, 'address', ro),
];

/** The standard objects of the sandbox org (custom fields added by the Metadata API come on top). */
export function baseObjects(): ObjectDef[] {
  return [
    obj(
      'Opportunity',
      'Opportunities',
      [
        f('Id', 'id', ro),
        f('IsDeleted', 'boolean', ro),
        ref('AccountId', 'Account', 'Account'),
        f('IsPrivate', 'boolean'),
        f('Name', 'string', { length: 120, nillable: false }),
        f('Description', 'textarea', { length: 32000 }),
        picklist(
          'StageName',
          SF_STAGES.map((s) => s.name),
          { nillable: false },
        ),
        f('Amount', 'currency', { precision: 18, scale: 2 }),
        f('Probability', 'percent', { precision: 3, scale: 0 }),
        f('ExpectedRevenue', 'currency', ro),
        f('TotalOpportunityQuantity', 'double'),
        f('CloseDate', 'date', { nillable: false }),
        picklist('Type', Object.values(SF_TYPE)),
        f('NextStep', 'string'),
        picklist('LeadSource', Object.values(SF_LEAD_SOURCE)),
        f('IsClosed', 'boolean', ro),
        f('IsWon', 'boolean', ro),
        picklist('ForecastCategory', ['Omitted', 'Pipeline', 'BestCase', 'Forecast', 'Closed'], ro),
        picklist('ForecastCategoryName', ['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed']),
        ref('CampaignId', 'Campaign', 'Campaign'),
        f('HasOpportunityLineItem', 'boolean', ro),
        ref('Pricebook2Id', 'Pricebook2', 'Pricebook2'),
        ref('OwnerId', 'User', 'Owner'),
        ...audit(),
        f('LastActivityDate', 'date', ro),
        f('PushCount', 'int', ro),
        f('LastStageChangeDate', 'datetime', ro),
        f('FiscalQuarter', 'int', ro),
        f('FiscalYear', 'int', ro),
        f('Fiscal', 'string', ro),
        ref('ContactId', 'Contact', 'Contact'),
        f('LastViewedDate', 'datetime', ro),
        f('LastReferencedDate', 'datetime', ro),
        f('HasOpenActivity', 'boolean', ro),
        f('HasOverdueTask', 'boolean', ro),
        ref('LastAmountChangedHistoryId', 'OpportunityHistory', 'LastAmountChangedHistory', ro),
        ref('LastCloseDateChangedHistoryId', 'OpportunityHistory', 'LastCloseDateChangedHistory', ro),
        picklist('Loss_Reason__c', ['Price', 'Competitor', 'No budget', 'Timing', 'No decision', 'Went dark']),
      ],
      [
        { relationshipName: 'OpportunityContactRoles', childSObject: 'OpportunityContactRole', field: 'OpportunityId' },
        { relationshipName: 'OpportunityHistories', childSObject: 'OpportunityHistory', field: 'OpportunityId' },
        { relationshipName: 'Histories', childSObject: 'OpportunityFieldHistory', field: 'OpportunityId' },
        { relationshipName: 'Tasks', childSObject: 'Task', field: 'WhatId' },
      ],
    ),
    obj(
      'Account',
      'Accounts',
      [
        f('Id', 'id', ro),
        f('IsDeleted', 'boolean', ro),
        ref('MasterRecordId', 'Account', 'MasterRecord', ro),
        f('Name', 'string', { nillable: false }),
        picklist('Type', ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other']),
        ref('ParentId', 'Account', 'Parent'),
        ...address('Billing'),
        ...address('Shipping'),
        f('Phone', 'phone'),
        f('Fax', 'phone'),
        f('AccountNumber', 'string', { length: 40 }),
        f('Website', 'url'),
        f('PhotoUrl', 'url', ro),
        f('Sic', 'string', { length: 20 }),
        picklist('Industry', [
          'Agriculture',
          'Banking',
          'Consulting',
          'Education',
          'Electronics',
          'Energy',
          'Finance',
          'Government',
          'Healthcare',
          'Manufacturing',
          'Media',
          'Retail',
          'Technology',
          'Other',
        ]),
        f('AnnualRevenue', 'currency'),
        f('NumberOfEmployees', 'int'),
        picklist('Ownership', ['Public', 'Private', 'Subsidiary', 'Other']),
        f('TickerSymbol', 'string', { length: 20 }),
        f('Description', 'textarea'),
        picklist('Rating', ['Hot', 'Warm', 'Cold']),
        f('Site', 'string', { length: 80 }),
        ref('OwnerId', 'User', 'Owner'),
        ...audit(),
        f('LastActivityDate', 'date', ro),
        f('LastViewedDate', 'datetime', ro),
        f('LastReferencedDate', 'datetime', ro),
        f('Jigsaw', 'string', { length: 20 }),
        f('JigsawCompanyId', 'string', ro),
        picklist('CleanStatus', ['Matched', 'Different', 'Acknowledged', 'NotFound', 'Inactive', 'Pending', 'SelectMatch', 'Skipped']),
        picklist('AccountSource', ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Other']),
        f('DunsNumber', 'string', { length: 9 }),
        f('Tradestyle', 'string'),
        f('NaicsCode', 'string', { length: 8 }),
        f('NaicsDesc', 'string', { length: 120 }),
        f('YearStarted', 'string', { length: 4 }),
        f('SicDesc', 'string', { length: 80 }),
        ref('DandbCompanyId', 'DandBCompany', 'DandbCompany'),
        ref('OperatingHoursId', 'OperatingHours', 'OperatingHours'),
        picklist('CustomerPriority__c', ['High', 'Low', 'Medium']),
        picklist('SLA__c', ['Gold', 'Silver', 'Platinum', 'Bronze']),
        picklist('Active__c', ['No', 'Yes']),
        f('NumberofLocations__c', 'double'),
        picklist('UpsellOpportunity__c', ['Maybe', 'No', 'Yes']),
        f('SLASerialNumber__c', 'string', { length: 10 }),
        f('SLAExpirationDate__c', 'date'),
        picklist('Region__c', ['NA', 'EMEA', 'APAC', 'LATAM']),
        picklist('Segment__c', ['SMB', 'Mid-Market', 'Enterprise']),
      ],
      [
        { relationshipName: 'Opportunities', childSObject: 'Opportunity', field: 'AccountId' },
        { relationshipName: 'Contacts', childSObject: 'Contact', field: 'AccountId' },
      ],
    ),
    obj('User', 'Users', [
      f('Id', 'id', ro),
      f('Username', 'string', { length: 80 }),
      f('LastName', 'string', { length: 80 }),
      f('FirstName', 'string', { length: 40 }),
      f('Name', 'string', ro),
      f('Title', 'string', { length: 80 }),
      f('Email', 'email'),
      f('IsActive', 'boolean'),
      f('Alias', 'string', { length: 8 }),
      f('TimeZoneSidKey', 'picklist'),
      ref('UserRoleId', 'UserRole', 'UserRole'),
      ref('ProfileId', 'Profile', 'Profile'),
      picklist('UserType', ['Standard']),
      ...audit(),
    ]),
    obj('Contact', 'Contacts', [
      f('Id', 'id', ro),
      f('IsDeleted', 'boolean', ro),
      ref('AccountId', 'Account', 'Account'),
      f('LastName', 'string', { length: 80, nillable: false }),
      f('FirstName', 'string', { length: 40 }),
      f('Name', 'string', ro),
      f('Title', 'string', { length: 128 }),
      f('Email', 'email', { externalId: true }),
      f('Phone', 'phone'),
      ref('OwnerId', 'User', 'Owner'),
      ...audit(),
    ]),
    obj('Task', 'Tasks', [
      f('Id', 'id', ro),
      ref('WhoId', 'Contact', 'Who'),
      ref('WhatId', 'Opportunity', 'What'),
      f('Subject', 'string'),
      f('ActivityDate', 'date'),
      picklist('Status', ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'], { nillable: false }),
      picklist('Priority', ['High', 'Normal', 'Low'], { nillable: false }),
      f('IsHighPriority', 'boolean', ro),
      ref('OwnerId', 'User', 'Owner'),
      f('Description', 'textarea', { length: 32000 }),
      f('IsDeleted', 'boolean', ro),
      ref('AccountId', 'Account', 'Account', ro),
      f('IsClosed', 'boolean', ro),
      ...audit(),
      picklist('TaskSubtype', ['Task', 'Email', 'Call']),
      f('CompletedDateTime', 'datetime', ro),
    ]),
    obj('OpportunityHistory', 'Opportunity History', [
      f('Id', 'id', ro),
      ref('OpportunityId', 'Opportunity', 'Opportunity', ro),
      ref('CreatedById', 'User', 'CreatedBy', ro),
      f('CreatedDate', 'datetime', ro),
      picklist(
        'StageName',
        SF_STAGES.map((s) => s.name),
        ro,
      ),
      f('Amount', 'currency', ro),
      f('ExpectedRevenue', 'currency', ro),
      f('CloseDate', 'date', ro),
      f('Probability', 'percent', ro),
      picklist('ForecastCategory', ['Omitted', 'Pipeline', 'BestCase', 'Forecast', 'Closed'], ro),
      f('SystemModstamp', 'datetime', ro),
      f('IsDeleted', 'boolean', ro),
      f('PrevAmount', 'currency', ro),
      f('PrevCloseDate', 'date', ro),
    ]),
    obj('OpportunityFieldHistory', 'Opportunity Field History', [
      f('Id', 'id', ro),
      f('IsDeleted', 'boolean', ro),
      ref('OpportunityId', 'Opportunity', 'Opportunity', ro),
      ref('CreatedById', 'User', 'CreatedBy', ro),
      f('CreatedDate', 'datetime', ro),
      picklist('Field', ['created', 'StageName', 'CloseDate', 'Amount', 'NextStep'], ro),
      picklist('DataType', ['Text', 'Date', 'Currency', 'DynamicEnum'], ro),
      f('OldValue', 'string', ro),
      f('NewValue', 'string', ro),
    ]),
    obj('OpportunityContactRole', 'Opportunity Contact Role', [
      f('Id', 'id', ro),
      ref('OpportunityId', 'Opportunity', 'Opportunity'),
      ref('ContactId', 'Contact', 'Contact'),
      picklist('Role', ['Decision Maker', 'Economic Buyer', 'Technical Buyer', 'Influencer', 'Evaluator', 'Executive Sponsor']),
      f('IsPrimary', 'boolean'),
      ...audit(),
      f('IsDeleted', 'boolean', ro),
    ]),
    // Setup data: the org's sales process stages, read-only through the API.
    {
      ...obj('OpportunityStage', 'Opportunity Stages', [
        f('Id', 'id', ro),
        f('MasterLabel', 'string', ro),
        f('ApiName', 'string', ro),
        f('IsActive', 'boolean', ro),
        f('SortOrder', 'int', ro),
        f('IsClosed', 'boolean', ro),
        f('IsWon', 'boolean', ro),
        picklist('ForecastCategory', ['Omitted', 'Pipeline', 'BestCase', 'Forecast', 'Closed'], ro),
        picklist('ForecastCategoryName', ['Omitted', 'Pipeline', 'Best Case', 'Commit', 'Closed'], ro),
        f('DefaultProbability', 'percent', { ...ro, precision: 3, scale: 0 }),
        f('Description', 'string', ro),
        ...audit(),
      ]),
      createable: false,
      updateable: false,
      deletable: false,
    },
    obj('PermissionSet', 'Permission Sets', [
      f('Id', 'id', ro),
      f('Name', 'string', { length: 80 }),
      f('Label', 'string', { length: 80 }),
      f('Description', 'textarea'),
      f('IsCustom', 'boolean', ro),
      ...audit(),
    ]),
    obj('PermissionSetAssignment', 'Permission Set Assignments', [
      f('Id', 'id', ro),
      ref('PermissionSetId', 'PermissionSet', 'PermissionSet'),
      ref('AssigneeId', 'User', 'Assignee'),
      f('SystemModstamp', 'datetime', ro),
    ]),
  ];
}

/** A field created through the Metadata API, as describe reports it. */
export function customFieldDef(name: string, md: Record<string, unknown>): FieldDef {
  const t = String(md.type ?? 'Text');
  const num = (k: string) => (md[k] === undefined ? undefined : Number(md[k]));
  const values = picklistValuesOf(md);
  const type: SfType =
    t === 'Number'
      ? 'double'
      : t === 'Percent'
        ? 'percent'
        : t === 'Currency'
          ? 'currency'
          : t === 'Checkbox'
            ? 'boolean'
            : t === 'Date'
              ? 'date'
              : t === 'DateTime'
                ? 'datetime'
                : t === 'Picklist'
                  ? 'picklist'
                  : t === 'LongTextArea' || t === 'TextArea'
                    ? 'textarea'
                    : t === 'Email'
                      ? 'email'
                      : t === 'Url'
                        ? 'url'
                        : 'string';
  return {
    ...f(name, type),
    label: String(md.label ?? name),
    length: type === 'string' || type === 'textarea' ? (num('length') ?? (t === 'TextArea' ? 255 : 255)) : undefined,
    precision: num('precision'),
    scale: num('scale'),
    picklistValues: values ?? undefined,
    restrictedPicklist: values ? String((md.valueSet as Record<string, unknown> | undefined)?.restricted ?? 'false') === 'true' : undefined,
    externalId: String(md.externalId ?? 'false') === 'true',
    unique: String(md.unique ?? 'false') === 'true',
  };
}

function picklistValuesOf(md: Record<string, unknown>): string[] | null {
  const vs = md.valueSet as Record<string, unknown> | undefined;
  const def = vs?.valueSetDefinition as Record<string, unknown> | undefined;
  const raw = def?.value;
  if (!raw) return null;
  return (Array.isArray(raw) ? raw : [raw]).map((v) =>
    String((v as Record<string, unknown>).fullName ?? (v as Record<string, unknown>).label),
  );
}
