import type { WriteBack } from '../../src/mapping/schema.ts';
import type { RiskFields } from '../types.ts';

/**
 * Metadata API shapes for the risk fields and permission sets, built from the mapping's
 * writeBack names (an admin may point them at existing fields). Keys are in the order of the
 * Metadata WSDL, which is the order jsforce serializes them in.
 */
export interface CustomFieldMeta {
  fullName: string;
  [key: string]: unknown;
}

export const CATEGORY_VALUES = ['Low', 'Medium', 'High', 'Critical'] as const;

const LONG_TEXT = { length: 32768, type: 'LongTextArea', visibleLines: 5 };

/** The field each canonical risk value gets when setup has to create it. */
const TEMPLATES: Record<keyof RiskFields, { label: string; description: string; body: Record<string, unknown> }> = {
  score: {
    label: 'Risk Score',
    description: 'dealrisk: loss-risk score 0-100 from the tenant model.',
    body: { precision: 3, scale: 0, type: 'Number' },
  },
  category: {
    label: 'Risk Category',
    description: 'dealrisk: Low 0-25, Medium 26-50, High 51-75, Critical 76-100.',
    body: {
      type: 'Picklist',
      valueSet: {
        restricted: true,
        valueSetDefinition: { sorted: false, value: CATEGORY_VALUES.map((v) => ({ fullName: v, default: false, label: v })) },
      },
    },
  },
  winProbability: {
    label: 'Win Probability',
    description: 'dealrisk: calibrated probability that this deal is won.',
    body: { precision: 5, scale: 2, type: 'Percent' },
  },
  drivers: { label: 'Risk Drivers', description: "dealrisk: the top reasons for this deal's risk, one per line.", body: LONG_TEXT },
  action: { label: 'Recommended Action', description: 'dealrisk: prioritised next steps for the owner.', body: LONG_TEXT },
  scoredAt: { label: 'Risk Scored At', description: 'dealrisk: when the score was computed.', body: { type: 'DateTime' } },
  modelStatus: {
    label: 'Risk Model Status',
    description: 'dealrisk: ok, experimental, low_confidence, prior_only or no_signal.',
    body: { length: 40, type: 'Text' },
  },
};

export const TASK_KEY_LENGTH = 100;

/** Custom fields on Task are defined on the Activity object (shared by Task and Event). */
export function taskKeyField(apiName: string): CustomFieldMeta {
  return {
    fullName: `Activity.${apiName}`,
    caseSensitive: true,
    description: 'dealrisk: idempotency key (deal id + action) of a risk follow-up task.',
    externalId: true,
    label: 'Risk Task Key',
    length: TASK_KEY_LENGTH,
    type: 'Text',
    unique: true,
  };
}

export const isCustomField = (apiName: string): boolean => apiName.endsWith('__c');

/** Field definitions for every custom (`__c`) writeBack field, keyed by full name. */
export function riskFieldDefinitions(writeBack: WriteBack): CustomFieldMeta[] {
  const out: CustomFieldMeta[] = [];
  for (const [key, apiName] of Object.entries(writeBack.fields) as Array<[keyof RiskFields, string]>) {
    if (!isCustomField(apiName)) continue;
    const t = TEMPLATES[key];
    out.push({
      fullName: `${writeBack.object}.${apiName}`,
      description: t.description,
      inlineHelpText: t.description.replace(/^dealrisk: /, ''),
      label: t.label,
      ...t.body,
    });
  }
  if (writeBack.tasks.enabled && writeBack.tasks.keyField && isCustomField(writeBack.tasks.keyField)) {
    out.push(taskKeyField(writeBack.tasks.keyField));
  }
  return out;
}

/** Which Metadata type (and shape) a field must have to hold a canonical value. */
export const EXPECTED_TYPES: Record<keyof RiskFields, readonly string[]> = {
  score: ['Number', 'Percent'],
  category: ['Picklist', 'Text'],
  winProbability: ['Percent', 'Number'],
  drivers: ['LongTextArea', 'TextArea', 'Text', 'Html'],
  action: ['LongTextArea', 'TextArea', 'Text', 'Html'],
  scoredAt: ['DateTime', 'Date'],
  modelStatus: ['Text', 'Picklist'],
};

export interface PermissionSetNames {
  integration: string;
  reader: string;
}

export const permissionSetNames = (writeBack: WriteBack): PermissionSetNames => {
  const base = (writeBack.group ?? 'DealRisk').replace(/[^A-Za-z0-9_]/g, '_');
  return { integration: `${base}_Integration`, reader: `${base}_Reader` };
};

/**
 * The field definition a permission entry depends on: Task and Event share the Activity
 * definition, and field-level security on it is granted per child object (both, or the
 * missing one counts as disabled).
 */
export const definingField = (permissionField: string): string => permissionField.replace(/^(Task|Event)\./, 'Activity.');

/** Field-level security the permission sets grant (fields must be custom to appear here). */
export function permissionSets(writeBack: WriteBack): Array<Record<string, unknown>> {
  const names = permissionSetNames(writeBack);
  const riskFields = Object.values(writeBack.fields)
    .filter(isCustomField)
    .map((f) => `${writeBack.object}.${f}`)
    .sort();
  const key =
    writeBack.tasks.enabled && writeBack.tasks.keyField && isCustomField(writeBack.tasks.keyField) ? writeBack.tasks.keyField : null;
  const keyField = key ? [`Event.${key}`, `Task.${key}`] : [];
  return [
    {
      fullName: names.integration,
      description: 'dealrisk integration user: edit the risk fields and the task key.',
      fieldPermissions: [...keyField, ...riskFields].map((field) => ({ editable: true, field, readable: true })),
      hasActivationRequired: false,
      label: `${names.integration.replace(/_/g, ' ')}`,
    },
    {
      fullName: names.reader,
      description: 'Sales reps: read the dealrisk risk fields on opportunities.',
      fieldPermissions: riskFields.map((field) => ({ editable: false, field, readable: true })),
      hasActivationRequired: false,
      label: `${names.reader.replace(/_/g, ' ')}`,
    },
  ];
}
