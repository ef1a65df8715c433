/**
 * Standard Salesforce objects and fields the connector's SOQL may name, written from Salesforce's
 * own references, never from the sandbox's schema (sandbox/salesforce/schema.ts), which the
 * same team wrote. Types are the field reference's (`datetime`, `reference`, ...). Each object
 * lists its fields as published (not every field of the object, but none that is not real), and
 * its lookup relationships (relationship name → referenced object).
 *
 * Sources (Salesforce Field Reference / Object Reference for the Salesforce Platform):
 * - https://developer.salesforce.com/docs/atlas.en-us.sfFieldRef.meta/sfFieldRef/salesforce_field_reference_Opportunity.htm
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunityhistory.html
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunityfieldhistory.html
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunitystage.html
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-opportunitycontactrole.html
 * - https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-account.html
 * - https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_user.htm
 * - https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_permissionset.htm
 * - https://developer.salesforce.com/docs/platform/field-reference/references/field-reference/salesforce-field-reference-permissionsetassignment.html
 * - https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_currencytype.htm
 * - https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_datedconversionrate.htm
 */
export type SfFieldType =
  | 'id'
  | 'reference'
  | 'string'
  | 'textarea'
  | 'picklist'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'anyType'
  | 'address'
  | 'phone';

export interface ReferenceObject {
  fields: Record<string, SfFieldType>;
  /** Lookup relationship name → referenced object (polymorphic lookups list their common target). */
  relationships: Record<string, string>;
}

const audit = {
  CreatedById: 'reference',
  CreatedDate: 'datetime',
  LastModifiedById: 'reference',
  LastModifiedDate: 'datetime',
  SystemModstamp: 'datetime',
} as const;

export const OBJECT_REFERENCE: Record<string, ReferenceObject> = {
  Opportunity: {
    fields: {
      Id: 'id',
      IsDeleted: 'boolean',
      AccountId: 'reference',
      IsPrivate: 'boolean',
      Name: 'string',
      Description: 'textarea',
      StageName: 'picklist',
      Amount: 'currency',
      Probability: 'percent',
      ExpectedRevenue: 'currency',
      TotalOpportunityQuantity: 'double',
      CloseDate: 'date',
      Type: 'picklist',
      NextStep: 'string',
      LeadSource: 'picklist',
      IsClosed: 'boolean',
      IsWon: 'boolean',
      ForecastCategory: 'picklist',
      ForecastCategoryName: 'picklist',
      CurrencyIsoCode: 'picklist',
      CampaignId: 'reference',
      HasOpportunityLineItem: 'boolean',
      Pricebook2Id: 'reference',
      OwnerId: 'reference',
      ...audit,
      LastActivityDate: 'date',
      PushCount: 'int',
      LastStageChangeDate: 'datetime',
      FiscalQuarter: 'int',
      FiscalYear: 'int',
      Fiscal: 'string',
      ContactId: 'reference',
      LastViewedDate: 'datetime',
      LastReferencedDate: 'datetime',
      HasOpenActivity: 'boolean',
      HasOverdueTask: 'boolean',
    },
    relationships: {
      Account: 'Account',
      Owner: 'User',
      CreatedBy: 'User',
      LastModifiedBy: 'User',
      Campaign: 'Campaign',
      Contact: 'Contact',
      Pricebook2: 'Pricebook2',
    },
  },
  OpportunityHistory: {
    fields: {
      Id: 'id',
      OpportunityId: 'reference',
      CreatedById: 'reference',
      CreatedDate: 'datetime',
      StageName: 'picklist',
      Amount: 'currency',
      ExpectedRevenue: 'currency',
      CloseDate: 'date',
      Probability: 'percent',
      ForecastCategory: 'picklist',
      SystemModstamp: 'datetime',
      IsDeleted: 'boolean',
      PrevAmount: 'currency',
      PrevCloseDate: 'date',
      CurrencyIsoCode: 'picklist',
    },
    relationships: { Opportunity: 'Opportunity', CreatedBy: 'User' },
  },
  OpportunityFieldHistory: {
    fields: {
      Id: 'id',
      IsDeleted: 'boolean',
      OpportunityId: 'reference',
      CreatedById: 'reference',
      CreatedDate: 'datetime',
      Field: 'picklist',
      DataType: 'picklist',
      OldValue: 'anyType',
      NewValue: 'anyType',
    },
    relationships: { Opportunity: 'Opportunity', CreatedBy: 'User' },
  },
  OpportunityStage: {
    fields: {
      Id: 'id',
      ApiName: 'string',
      MasterLabel: 'string',
      IsActive: 'boolean',
      SortOrder: 'int',
      IsClosed: 'boolean',
      IsWon: 'boolean',
      ForecastCategory: 'picklist',
      ForecastCategoryName: 'picklist',
      DefaultProbability: 'percent',
      Description: 'string',
      ...audit,
    },
    relationships: { CreatedBy: 'User', LastModifiedBy: 'User' },
  },
  OpportunityContactRole: {
    fields: {
      Id: 'id',
      OpportunityId: 'reference',
      ContactId: 'reference',
      Role: 'picklist',
      IsPrimary: 'boolean',
      IsDeleted: 'boolean',
      CurrencyIsoCode: 'picklist',
      ...audit,
    },
    relationships: { Opportunity: 'Opportunity', Contact: 'Contact', CreatedBy: 'User', LastModifiedBy: 'User' },
  },
  Task: {
    fields: {
      Id: 'id',
      WhoId: 'reference',
      WhatId: 'reference',
      Subject: 'string',
      ActivityDate: 'date',
      Status: 'picklist',
      Priority: 'picklist',
      IsHighPriority: 'boolean',
      OwnerId: 'reference',
      Description: 'textarea',
      IsDeleted: 'boolean',
      AccountId: 'reference',
      IsClosed: 'boolean',
      TaskSubtype: 'picklist',
      CompletedDateTime: 'datetime',
      ...audit,
    },
    // WhatId is polymorphic (Account, Opportunity, ...): the connector only ever names the id.
    relationships: { What: 'Opportunity', Who: 'Contact', Owner: 'User', Account: 'Account', CreatedBy: 'User', LastModifiedBy: 'User' },
  },
  Account: {
    fields: {
      Id: 'id',
      IsDeleted: 'boolean',
      Name: 'string',
      Type: 'picklist',
      ParentId: 'reference',
      BillingStreet: 'textarea',
      BillingCity: 'string',
      BillingState: 'string',
      BillingPostalCode: 'string',
      BillingCountry: 'string',
      BillingAddress: 'address',
      Phone: 'phone',
      Industry: 'picklist',
      AnnualRevenue: 'currency',
      NumberOfEmployees: 'int',
      Description: 'textarea',
      OwnerId: 'reference',
      AccountSource: 'picklist',
      ...audit,
    },
    relationships: { Owner: 'User', Parent: 'Account', CreatedBy: 'User', LastModifiedBy: 'User' },
  },
  User: {
    fields: {
      Id: 'id',
      Username: 'string',
      LastName: 'string',
      FirstName: 'string',
      Name: 'string',
      Email: 'string',
      IsActive: 'boolean',
      Title: 'string',
      Alias: 'string',
      ProfileId: 'reference',
      UserRoleId: 'reference',
      ...audit,
    },
    relationships: { Profile: 'Profile', UserRole: 'UserRole' },
  },
  PermissionSet: {
    fields: {
      Id: 'id',
      Name: 'string',
      Label: 'string',
      Description: 'string',
      IsOwnedByProfile: 'boolean',
      HasActivationRequired: 'boolean',
      ...audit,
    },
    relationships: {},
  },
  PermissionSetAssignment: {
    fields: {
      Id: 'id',
      AssigneeId: 'reference',
      PermissionSetId: 'reference',
      PermissionSetGroupId: 'reference',
      ExpirationDate: 'datetime',
      IsActive: 'boolean',
      SystemModstamp: 'datetime',
    },
    relationships: { Assignee: 'User', PermissionSet: 'PermissionSet' },
  },
  CurrencyType: {
    fields: { Id: 'id', IsoCode: 'picklist', ConversionRate: 'double', DecimalPlaces: 'int', IsActive: 'boolean', IsCorporate: 'boolean' },
    relationships: {},
  },
  DatedConversionRate: {
    fields: { Id: 'id', IsoCode: 'picklist', ConversionRate: 'double', StartDate: 'date', NextStartDate: 'date' },
    relationships: {},
  },
};
