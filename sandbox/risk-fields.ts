import type { HubSpotPortal } from './hubspot/portal.ts';
import type { SfMetadata } from './salesforce/metadata.ts';
import type { SalesforceOrg } from './salesforce/org.ts';

/** The risk fields of the default mappings (mappings/salesforce.yaml, mappings/hubspot.yaml). */
export const SF_RISK_FIELDS: Array<Record<string, unknown>> = [
  { fullName: 'Opportunity.Risk_Score__c', label: 'Risk Score', type: 'Number', precision: '3', scale: '0' },
  {
    fullName: 'Opportunity.Risk_Category__c',
    label: 'Risk Category',
    type: 'Picklist',
    valueSet: {
      restricted: 'true',
      valueSetDefinition: {
        sorted: 'false',
        value: ['Low', 'Medium', 'High', 'Critical'].map((v) => ({ fullName: v, default: 'false', label: v })),
      },
    },
  },
  { fullName: 'Opportunity.Win_Probability__c', label: 'Win Probability', type: 'Percent', precision: '5', scale: '2' },
  { fullName: 'Opportunity.Risk_Drivers__c', label: 'Risk Drivers', type: 'LongTextArea', length: '32768', visibleLines: '5' },
  { fullName: 'Opportunity.Recommended_Action__c', label: 'Recommended Action', type: 'LongTextArea', length: '32768', visibleLines: '5' },
  { fullName: 'Opportunity.Risk_Scored_At__c', label: 'Risk Scored At', type: 'DateTime' },
  { fullName: 'Opportunity.Risk_Model_Status__c', label: 'Risk Model Status', type: 'Text', length: '40' },
  { fullName: 'Task.Risk_Task_Key__c', label: 'Risk Task Key', type: 'Text', length: '120', externalId: 'true', unique: 'true' },
];

/**
 * Creates the Salesforce risk fields as the connector's setup would. `ready` also creates the
 * DealRisk_Integration permission set granting edit on them and assigns it to the API user;
 * `created` leaves them invisible to the API (the field-level-security pitfall).
 */
export function precreateSalesforce(org: SalesforceOrg, md: SfMetadata, mode: 'created' | 'ready'): void {
  for (const f of SF_RISK_FIELDS) md.putField(String(f.fullName), f);
  if (mode !== 'ready') return;
  md.putPermissionSet('DealRisk_Integration', {
    label: 'DealRisk Integration',
    fieldPermissions: SF_RISK_FIELDS.map((f) => ({ field: f.fullName, readable: 'true', editable: 'true' })),
  });
  const ps = org.permissionSets.get('dealrisk_integration')!;
  org.assignPermissionSet({ PermissionSetId: ps.id, AssigneeId: org.integrationUserId });
}

/** Creates the HubSpot deal_risk group and the risk deal properties (tasks need no property). */
export function precreateHubSpot(portal: HubSpotPortal): void {
  const now = new Date(portal.now()).toISOString();
  portal.groups.deals.set('deal_risk', { name: 'deal_risk', label: 'Deal Risk', displayOrder: -1, archived: false });
  const def = (
    name: string,
    label: string,
    type: 'number' | 'enumeration' | 'string' | 'datetime',
    fieldType: string,
    extra: { options?: string[] } = {},
  ) => ({
    name,
    label,
    type,
    fieldType,
    groupName: 'deal_risk',
    description: '',
    options: (extra.options ?? []).map((v, i) => ({ label: v, value: v, displayOrder: i, hidden: false })),
    displayOrder: -1,
    calculated: false,
    hasUniqueValue: false,
    hidden: false,
    formField: false,
    readOnlyValue: false,
    readOnlyDefinition: false,
    createdAt: now,
    updatedAt: now,
    custom: true,
    archived: false,
  });
  for (const p of [
    def('risk_score', 'Risk score', 'number', 'number'),
    def('risk_category', 'Risk category', 'enumeration', 'select', { options: ['Low', 'Medium', 'High', 'Critical'] }),
    def('risk_win_probability', 'Risk: win probability (%)', 'number', 'number'),
    def('risk_drivers', 'Risk drivers', 'string', 'textarea'),
    def('risk_recommended_action', 'Risk: recommended action', 'string', 'textarea'),
    def('risk_scored_at', 'Risk scored at', 'datetime', 'date'),
    def('risk_model_status', 'Risk model status', 'string', 'text'),
  ])
    portal.properties.deals.set(p.name, p);
}
