/** HubSpot object types the sandbox serves, by name and by object type id. */
export const HS_TYPES = { deals: '0-3', companies: '0-2', contacts: '0-1', tasks: '0-27' } as const;
export type HsType = keyof typeof HS_TYPES;

export function hsType(raw: string): HsType | null {
  const r = raw.toLowerCase();
  if (r in HS_TYPES) return r as HsType;
  const byId = (Object.keys(HS_TYPES) as HsType[]).find((k) => HS_TYPES[k] === r);
  if (byId) return byId;
  return ({ deal: 'deals', company: 'companies', contact: 'contacts', task: 'tasks' } as Record<string, HsType>)[r] ?? null;
}

export type PropType = 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool' | 'phone_number';

export interface PropOption {
  label: string;
  value: string;
  displayOrder: number;
  hidden: boolean;
  description?: string;
}

export interface PropertyDef {
  name: string;
  label: string;
  type: PropType;
  fieldType: string;
  groupName: string;
  description: string;
  options: PropOption[];
  displayOrder: number;
  calculated: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  readOnlyValue: boolean;
  readOnlyDefinition: boolean;
  createdAt: string;
  updatedAt: string;
  /** Custom properties (created through the API) vs HubSpot-defined ones. */
  custom: boolean;
  archived: boolean;
}

export interface PropertyGroup {
  name: string;
  label: string;
  displayOrder: number;
  archived: boolean;
}

/** Deal pipeline of the sandbox portal: HubSpot's default "Sales Pipeline". */
export const HS_STAGES = [
  { id: 'appointmentscheduled', label: 'Appointment Scheduled', probability: '0.2' },
  { id: 'qualifiedtobuy', label: 'Qualified To Buy', probability: '0.4' },
  { id: 'presentationscheduled', label: 'Presentation Scheduled', probability: '0.6' },
  { id: 'decisionmakerboughtin', label: 'Decision Maker Bought-In', probability: '0.8' },
  { id: 'contractsent', label: 'Contract Sent', probability: '0.9' },
  { id: 'closedwon', label: 'Closed Won', probability: '1.0' },
  { id: 'closedlost', label: 'Closed Lost', probability: '0.0' },
] as const;
export const HS_OPEN_STAGES = 5;

export const HS_INDUSTRY: Record<string, string> = {
  Technology: 'COMPUTER_SOFTWARE',
  Finance: 'FINANCIAL_SERVICES',
  Healthcare: 'HOSPITAL_HEALTH_CARE',
  Manufacturing: 'MACHINERY',
  Retail: 'RETAIL',
  Education: 'EDUCATION_MANAGEMENT',
  Government: 'GOVERNMENT_ADMINISTRATION',
  Media: 'MEDIA_PRODUCTION',
};
export const HS_SOURCE = {
  web: 'ORGANIC_SEARCH',
  referral: 'REFERRALS',
  partner: 'OTHER_CAMPAIGNS',
  event: 'OFFLINE',
  outbound: 'EMAIL_MARKETING',
  paid: 'PAID_SEARCH',
} as const;
export const HS_DEALTYPE = { new: 'newbusiness', expansion: 'existingbusiness', renewal: 'renewal' } as const;

const EPOCH = '1970-01-01T00:00:00Z';

/** Calculated deal properties every deal in a fresh portal carries with these values. */
export const DEAL_STATIC: Record<string, string> = {
  hs_has_last_conversation_follow_ups: 'false',
  hs_has_last_meeting_followups: 'false',
  hs_is_deal_split: 'false',
  hs_num_associated_active_deal_registrations: '0',
  hs_num_associated_deal_registrations: '0',
  hs_num_associated_deal_splits: '0',
  hs_num_of_associated_line_items: '0',
  hs_num_target_accounts: '0',
  hs_number_of_call_engagements: '0',
  hs_number_of_inbound_calls: '0',
  hs_number_of_outbound_calls: '0',
};
type Row = [
  name: string,
  type: PropType,
  group: string,
  opts?: { calc?: boolean; ro?: boolean; options?: readonly string[]; unique?: boolean },
];

const FIELD_TYPE: Record<PropType, string> = {
  string: 'text',
  number: 'number',
  date: 'date',
  datetime: 'date',
  enumeration: 'select',
  bool: 'booleancheckbox',
  phone_number: 'phonenumber',
};

function build(rows: Row[]): PropertyDef[] {
  return rows.map(([name, type, groupName, o = {}], i) => ({
    name,
    label: name
      .replace(/^hs_/, '')
      .replace(/_/g, ' ')
      .replace(/\b\w/g, (c) => c.toUpperCase()),
    type,
    fieldType: type === 'bool' ? 'booleancheckbox' : FIELD_TYPE[type],
    groupName,
    description: '',
    options: (o.options ?? (type === 'bool' ? ['true', 'false'] : [])).map((v, k) => ({
      label: v,
      value: v,
      displayOrder: k,
      hidden: false,
    })),
    displayOrder: i,
    calculated: o.calc ?? false,
    hasUniqueValue: o.unique ?? false,
    hidden: false,
    formField: false,
    readOnlyValue: o.ro ?? o.calc ?? false,
    readOnlyDefinition: true,
    createdAt: EPOCH,
    updatedAt: EPOCH,
    custom: false,
    archived: false,
  }));
}

const calc = { calc: true } as const;
const ro = { ro: true } as const;

export function builtinProperties(type: HsType): PropertyDef[] {
  switch (type) {
    case 'deals':
      return build([
        ['dealname', 'string', 'dealinformation'],
        ['amount', 'number', 'dealinformation'],
        ['amount_in_home_currency', 'number', 'dealinformation', calc],
        ['closedate', 'datetime', 'dealinformation'],
        ['createdate', 'datetime', 'dealinformation'],
        ['hs_createdate', 'datetime', 'dealinformation', ro],
        ['hs_lastmodifieddate', 'datetime', 'dealinformation', ro],
        ['hs_object_id', 'number', 'dealinformation', ro],
        ['pipeline', 'enumeration', 'dealinformation', { options: ['default'] }],
        ['dealstage', 'enumeration', 'dealinformation', { options: HS_STAGES.map((s) => s.id) }],
        ['dealtype', 'enumeration', 'dealinformation', { options: Object.values(HS_DEALTYPE) }],
        ['description', 'string', 'dealinformation'],
        ['hubspot_owner_id', 'enumeration', 'dealinformation'],
        ['hs_analytics_source', 'enumeration', 'analyticsinformation', { ro: true, options: Object.values(HS_SOURCE) }],
        ['hs_deal_stage_probability', 'number', 'dealinformation', calc],
        ['hs_is_closed', 'bool', 'dealinformation', calc],
        ['hs_is_closed_won', 'bool', 'dealinformation', calc],
        ['hs_is_closed_lost', 'bool', 'dealinformation', calc],
        ['hs_next_step', 'string', 'dealinformation'],
        ['deal_currency_code', 'enumeration', 'dealinformation', { options: ['USD', 'EUR', 'GBP'] }],
        ['hs_priority', 'enumeration', 'dealinformation', { options: ['low', 'medium', 'high'] }],
        [
          'hs_manual_forecast_category',
          'enumeration',
          'dealinformation',
          { options: ['OMIT', 'PIPELINE', 'BEST_CASE', 'COMMIT', 'CLOSED'] },
        ],
        ['num_associated_contacts', 'number', 'dealinformation', calc],
        ['num_contacted_notes', 'number', 'dealactivity', calc],
        ['num_notes', 'number', 'dealactivity', calc],
        ['notes_last_contacted', 'datetime', 'dealactivity', calc],
        ['notes_last_updated', 'datetime', 'dealactivity', calc],
        ['notes_next_activity_date', 'datetime', 'dealactivity', calc],
        ['days_to_close', 'number', 'dealinformation', calc],
        ['hs_days_to_close_raw', 'number', 'dealinformation', calc],
        ['hs_forecast_amount', 'number', 'dealinformation', calc],
        ['hs_projected_amount', 'number', 'dealinformation', calc],
        ['hs_closed_amount', 'number', 'dealinformation', calc],
        ['closed_lost_reason', 'string', 'dealinformation'],
        ['closed_won_reason', 'string', 'dealinformation'],
        ['hs_v2_date_entered_current_stage', 'datetime', 'dealinformation', calc],
        ['hs_v2_time_in_current_stage', 'datetime', 'dealinformation', calc],
        ['hs_is_open_count', 'number', 'dealinformation', calc],
        ['hs_closed_won_count', 'number', 'dealinformation', calc],
        ['hs_object_source', 'string', 'dealinformation', ro],
        ['hs_object_source_label', 'string', 'dealinformation', ro],
        ['hs_object_source_id', 'string', 'dealinformation', ro],
        ['hs_number_of_overdue_tasks', 'number', 'dealactivity', calc],
        ...Object.keys(DEAL_STATIC).map((n): Row => [n, DEAL_STATIC[n] === 'false' ? 'bool' : 'number', 'dealinformation', calc]),
        ...[
          'hs_actual_duration',
          'hs_closed_amount_in_home_currency',
          'hs_closed_deal_close_date',
          'hs_closed_deal_create_date',
          'hs_deal_stage_probability_shadow',
          'hs_is_closed_count',
          'hs_open_amount_in_home_currency',
          'hs_open_deal_create_date',
          'hs_projected_amount_in_home_currency',
          'hs_weighted_pipeline_in_company_currency',
        ].map((n): Row => [n, 'number', 'dealinformation', calc]),
        ...HS_STAGES.flatMap((s): Row[] => [
          [`hs_date_entered_${s.id}`, 'datetime', 'dealstages', calc],
          [`hs_date_exited_${s.id}`, 'datetime', 'dealstages', calc],
        ]),
      ]);
    case 'companies':
      return build([
        ['name', 'string', 'companyinformation'],
        ['domain', 'string', 'companyinformation'],
        ['website', 'string', 'companyinformation'],
        ['industry', 'enumeration', 'companyinformation', { options: Object.values(HS_INDUSTRY) }],
        ['city', 'string', 'companyinformation'],
        ['state', 'string', 'companyinformation'],
        ['country', 'string', 'companyinformation'],
        ['numberofemployees', 'number', 'companyinformation'],
        ['annualrevenue', 'number', 'companyinformation'],
        ['createdate', 'datetime', 'companyinformation', ro],
        ['hs_lastmodifieddate', 'datetime', 'companyinformation', ro],
        ['hs_object_id', 'number', 'companyinformation', ro],
        ['lifecyclestage', 'enumeration', 'companyinformation', { options: ['lead', 'opportunity', 'customer'] }],
        ['region', 'enumeration', 'companyinformation', { options: ['NA', 'EMEA', 'APAC', 'LATAM'] }],
        ['segment', 'enumeration', 'companyinformation', { options: ['SMB', 'Mid-Market', 'Enterprise'] }],
        ['hubspot_owner_id', 'enumeration', 'companyinformation'],
        ['num_associated_contacts', 'number', 'companyinformation', calc],
        ['hs_num_open_deals', 'number', 'companyinformation', calc],
        ['num_notes', 'number', 'companyinformation', calc],
        ['hs_pipeline', 'string', 'companyinformation', ro],
        ['hs_object_source', 'string', 'companyinformation', ro],
        ['hs_object_source_id', 'string', 'companyinformation', ro],
        ['hs_object_source_label', 'string', 'companyinformation', ro],
        ['hs_task_label', 'string', 'companyinformation', calc],
        ['hs_annual_revenue_currency_code', 'string', 'companyinformation', ro],
        ['hs_num_blockers', 'number', 'companyinformation', calc],
        ['hs_num_child_companies', 'number', 'companyinformation', calc],
        ['hs_num_contacts_with_buying_roles', 'number', 'companyinformation', calc],
        ['hs_num_decision_makers', 'number', 'companyinformation', calc],
        ['hs_v2_date_entered_current_stage', 'datetime', 'companyinformation', calc],
        ['hs_v2_time_in_current_stage', 'datetime', 'companyinformation', calc],
      ]);
    case 'contacts':
      return build([
        ['firstname', 'string', 'contactinformation'],
        ['lastname', 'string', 'contactinformation'],
        ['email', 'string', 'contactinformation', { unique: true }],
        ['jobtitle', 'string', 'contactinformation'],
        ['phone', 'phone_number', 'contactinformation'],
        ['createdate', 'datetime', 'contactinformation', ro],
        ['lastmodifieddate', 'datetime', 'contactinformation', ro],
        ['hs_object_id', 'number', 'contactinformation', ro],
        ['associatedcompanyid', 'number', 'contactinformation', calc],
        ['hubspot_owner_id', 'enumeration', 'contactinformation'],
      ]);
    case 'tasks':
      return build([
        ['hs_task_subject', 'string', 'task'],
        ['hs_task_body', 'string', 'task'],
        ['hs_task_status', 'enumeration', 'task', { options: ['NOT_STARTED', 'IN_PROGRESS', 'WAITING', 'COMPLETED', 'DEFERRED'] }],
        ['hs_task_priority', 'enumeration', 'task', { options: ['NONE', 'LOW', 'MEDIUM', 'HIGH'] }],
        ['hs_task_type', 'enumeration', 'task', { options: ['TODO', 'CALL', 'EMAIL', 'LINKED_IN', 'MEETING'] }],
        ['hs_timestamp', 'datetime', 'task'],
        ['hubspot_owner_id', 'enumeration', 'task'],
        ['hs_task_completion_date', 'datetime', 'task', calc],
        ['hs_createdate', 'datetime', 'task', ro],
        ['hs_lastmodifieddate', 'datetime', 'task', ro],
        ['hs_object_id', 'number', 'task', ro],
        ['hs_task_is_completed', 'number', 'task', calc],
        ['hs_task_is_overdue', 'bool', 'task', calc],
        ['hs_task_completion_count', 'number', 'task', calc],
        ['hs_task_family', 'string', 'task', calc],
        ['hs_task_for_object_type', 'string', 'task', calc],
        ['hs_task_is_all_day', 'bool', 'task', calc],
        ['hs_task_is_past_due_date', 'bool', 'task', calc],
        ['hs_task_missed_due_date', 'bool', 'task', calc],
        ['hs_task_missed_due_date_count', 'number', 'task', calc],
        ['hs_task_is_sub_task', 'bool', 'task', calc],
        ['hs_task_is_completed_call', 'number', 'task', calc],
        ['hs_task_is_completed_email', 'number', 'task', calc],
        ['hs_task_is_completed_linked_in', 'number', 'task', calc],
        ['hs_task_is_completed_sequence', 'number', 'task', calc],
        ['hs_engagements_last_contacted', 'datetime', 'task', calc],
        ['hs_obj_coords', 'string', 'task', calc],
        ['hs_start_date_with_fallback', 'datetime', 'task', calc],
        ['hs_object_source', 'string', 'task', ro],
        ['hs_object_source_id', 'string', 'task', ro],
        ['hs_object_source_label', 'string', 'task', ro],
        ['hs_body_preview', 'string', 'task', calc],
        ['hs_body_preview_html', 'string', 'task', calc],
        ['hs_body_preview_is_truncated', 'bool', 'task', calc],
        ['hs_pipeline', 'string', 'task', ro],
        ['hs_pipeline_stage', 'string', 'task', ro],
        ['hs_task_is_open', 'bool', 'task', calc],
      ]);
  }
}

export function builtinGroups(type: HsType): PropertyGroup[] {
  const names: Record<HsType, string[]> = {
    deals: ['dealinformation', 'dealactivity', 'dealstages', 'analyticsinformation'],
    companies: ['companyinformation'],
    contacts: ['contactinformation'],
    tasks: ['task'],
  };
  return names[type].map((name, i) => ({
    name,
    label: name.replace(/information$/, ' information').replace(/^\w/, (c) => c.toUpperCase()),
    displayOrder: i,
    archived: false,
  }));
}

/** Properties returned when a request names none. */
export const DEFAULT_PROPERTIES: Record<HsType, string[]> = {
  deals: ['amount', 'closedate', 'createdate', 'dealname', 'dealstage', 'hs_lastmodifieddate', 'hs_object_id', 'pipeline'],
  companies: ['createdate', 'domain', 'hs_lastmodifieddate', 'hs_object_id', 'name'],
  contacts: ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'],
  tasks: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
};

/** Valid type / fieldType pairs (HubSpot validates them since 2021). */
export const FIELD_TYPES: Record<PropType, string[]> = {
  string: ['text', 'textarea', 'html', 'file'],
  number: ['number', 'calculation_equation'],
  date: ['date'],
  datetime: ['date'],
  enumeration: ['select', 'radio', 'checkbox', 'booleancheckbox'],
  bool: ['booleancheckbox'],
  phone_number: ['phonenumber'],
};
