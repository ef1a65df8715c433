import type { ValueType } from '../../src/mapping/schema.ts';
import type { SourceField } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import type { Derived } from './derive.ts';

/** The part of a describe() field this listing reads. */
interface DescribedField {
  name: string;
  label: string;
  type: string;
  referenceTo?: string[] | null;
  relationshipName?: string | null;
  picklistValues?: Array<{ value: string; active: boolean }> | null;
}

/**
 * Related objects described per listing at most. An Opportunity has about ten single-target
 * relationships (Account, Owner, CreatedBy, Campaign, Pricebook2, Contract, ...); each costs one
 * describe call, and the Settings page caches the list, so the cap only bounds odd custom objects.
 */
export const MAX_RELATED_OBJECTS = 12;

/** Compound and binary fields: a query returns them as structures the mapping cannot read as one value. */
const UNREADABLE = new Set(['address', 'location', 'base64']);

/** How the mapping reads each Salesforce type unless told otherwise (describe's `type`). */
export function salesforceValueType(type: string): ValueType {
  switch (type) {
    case 'currency':
    case 'double':
    case 'int':
    case 'long':
      return 'number';
    case 'percent':
      return 'percent';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

/**
 * What the connector adds under `_derived` (derive.ts), keyed by Derived's own keys so a value
 * added there without a line here fails to compile.
 */
const DERIVED: Record<keyof Derived, { label: string; type: string; valueType: ValueType }> = {
  stageOrder: { label: 'Stage order (OpportunityStage sort order)', type: 'int', valueType: 'number' },
  stageHistory: { label: 'Stage history (OpportunityHistory)', type: 'stage history', valueType: 'stage_history' },
  stageEnteredAt: { label: 'Entered the current stage (OpportunityHistory)', type: 'datetime', valueType: 'datetime' },
  closeDatePushes: { label: 'Close date pushed later (OpportunityFieldHistory)', type: 'int', valueType: 'number' },
  closedAt: { label: 'Closed at (the closed stage in history, else CloseDate)', type: 'datetime', valueType: 'datetime' },
  openTaskCount: { label: 'Open tasks (dealrisk tasks excluded)', type: 'int', valueType: 'number' },
  contactRoleCount: { label: 'Contact roles', type: 'int', valueType: 'number' },
  accountSizeBand: { label: 'Account size band (from Account.NumberOfEmployees)', type: 'string', valueType: 'string' },
};

const toField = (f: DescribedField, origin: SourceField['origin'], prefix = '', labelPrefix = ''): SourceField => {
  const options = (f.picklistValues ?? []).filter((v) => v.active).map((v) => v.value);
  return {
    name: `${prefix}${f.name}`,
    label: `${labelPrefix}${f.label}`,
    type: f.type,
    valueType: salesforceValueType(f.type),
    origin,
    ...(options.length ? { options } : {}),
  };
};

/** "Account ID" → "Account", "Created By ID" → "Created By": how Setup names the relationship. */
const relationshipLabel = (f: DescribedField): string => f.label.replace(/\s+ID$/i, '') || f.relationshipName!;

/**
 * The object's fields (describe), the fields of each record one relationship away as dotted
 * paths (`Account.Industry`, `Owner.Name`: what a SOQL SELECT and the mapping's `from` accept),
 * and the `_derived` values. The fields dealrisk writes (`exclude`) are left out: reading our own
 * score back would feed the model its output. A related object the integration user may not
 * describe is left out too (`warn` names it); the object's own describe failing is an error.
 */
export async function describeSalesforceFields(
  api: SalesforceApi,
  object: string,
  exclude: ReadonlySet<string> = new Set(),
  warn: (message: string) => void = () => {},
): Promise<SourceField[]> {
  const own = (await api.call((c) => c.describe(object))).fields as DescribedField[];
  const out = own.filter((f) => !UNREADABLE.has(f.type) && !exclude.has(f.name)).map((f) => toField(f, 'field'));
  // Polymorphic references (WhatId, WhoId) name several objects: no single describe lists their fields.
  const refs = own.filter((f) => f.type === 'reference' && f.relationshipName && f.referenceTo?.length === 1);
  const targets = [...new Set(refs.map((f) => f.referenceTo![0]!))];
  if (targets.length > MAX_RELATED_OBJECTS)
    warn(`${object} has ${targets.length} related objects: fields of ${targets.slice(MAX_RELATED_OBJECTS).join(', ')} are not listed`);
  const described = new Map<string, DescribedField[]>();
  for (const target of targets.slice(0, MAX_RELATED_OBJECTS)) {
    try {
      described.set(target, (await api.call((c) => c.describe(target))).fields as DescribedField[]);
    } catch (e) {
      warn(`cannot describe ${target} (related to ${object}): ${(e as Error).message}`);
    }
  }
  for (const ref of refs) {
    const fields = described.get(ref.referenceTo![0]!);
    if (!fields) continue;
    const label = `${relationshipLabel(ref)}: `;
    out.push(...fields.filter((f) => !UNREADABLE.has(f.type)).map((f) => toField(f, 'related', `${ref.relationshipName}.`, label)));
  }
  for (const [key, d] of Object.entries(DERIVED))
    out.push({ name: `_derived.${key}`, label: d.label, type: d.type, valueType: d.valueType, origin: 'derived' });
  return out;
}
