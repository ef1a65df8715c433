import { AppError } from '../../src/core/errors.ts';
import type { WriteBack } from '../../src/mapping/schema.ts';
import type { ConnectorLogger, RiskFields, SetupReport } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import {
  type CustomFieldMeta,
  definingField,
  EXPECTED_TYPES,
  permissionSetNames,
  permissionSets,
  riskFieldDefinitions,
} from './field-definitions.ts';
import type { FieldShape } from './format-values.ts';
import { permissionSetAssignmentQuery, permissionSetByNameQuery } from './soql.ts';

export type DescribedField = FieldShape;

/** Metadata CRUD calls take at most 10 components each. */
const METADATA_BATCH = 10;

interface MetadataSaveResult {
  fullName: string;
  success: boolean;
  created?: boolean;
  errors?: Array<{ statusCode?: string; message?: string }> | { statusCode?: string; message?: string };
}

const errorsOf = (r: MetadataSaveResult) => (Array.isArray(r.errors) ? r.errors : r.errors ? [r.errors] : []);

const NEEDS_METADATA_PERMISSION =
  'the integration user needs "Modify Metadata Through Metadata API Functions" (or "Modify All Data"); alternatively deploy connectors/salesforce/force-app with `sf project deploy start`';

function batches<T>(items: readonly T[], size = METADATA_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Creates the missing risk fields (Metadata API), upserts the two permission sets, assigns the
 * editing one to the integration user, and re-describes so the new fields are visible.
 * Existing fields are reused (a type that cannot hold the value is reported as a warning).
 * Runs again safely: a second run creates nothing.
 */
export async function setupOrg(
  api: SalesforceApi,
  writeBack: WriteBack,
  log: ConnectorLogger,
  onDescribed: (fields: DescribedField[]) => void,
): Promise<SetupReport> {
  const report: SetupReport = { created: [], existing: [], warnings: [] };
  const defs = riskFieldDefinitions(writeBack);
  const present = new Set<string>();
  try {
    for (const batch of batches(defs)) {
      const found = (await api.call((c) =>
        c.metadata.read(
          'CustomField',
          batch.map((d) => d.fullName),
        ),
      )) as unknown as Array<Record<string, unknown>>;
      for (const f of found) {
        if (typeof f.fullName !== 'string') continue; // a missing component reads back empty
        present.add(f.fullName);
        checkType(f, writeBack, report);
      }
    }
    const missing = defs.filter((d) => !present.has(d.fullName));
    for (const d of defs) if (present.has(d.fullName)) report.existing.push(d.fullName);
    for (const batch of batches(missing)) await createFields(api, batch, report, present);
    await upsertPermissionSets(api, writeBack, report, present);
    await assignToIntegrationUser(api, permissionSetNames(writeBack).integration, report);
  } catch (e) {
    if (e instanceof AppError && (e.code === 'crm_permission_denied' || e.details.sfCode === 'INSUFFICIENT_ACCESS')) {
      throw new AppError(e.code, `Salesforce setup refused: ${e.message}; ${NEEDS_METADATA_PERMISSION}`, { ...e.details, cause: e });
    }
    throw e;
  }
  onDescribed(await verifyVisible(api, writeBack, report));
  log.info('salesforce setup done', { created: report.created.length, existing: report.existing.length, warnings: report.warnings.length });
  return report;
}

function checkType(found: Record<string, unknown>, writeBack: WriteBack, report: SetupReport): void {
  const apiName = String(found.fullName).split('.').pop();
  const key = (Object.entries(writeBack.fields) as Array<[keyof RiskFields, string]>).find(([, v]) => v === apiName)?.[0];
  if (!key) return;
  const type = String(found.type ?? '');
  if (type && !EXPECTED_TYPES[key].includes(type)) {
    report.warnings.push(`${found.fullName} exists as ${type}; ${key} needs one of ${EXPECTED_TYPES[key].join(', ')}`);
  }
}

async function createFields(api: SalesforceApi, batch: CustomFieldMeta[], report: SetupReport, present: Set<string>): Promise<void> {
  const results = (await api.call((c) => c.metadata.create('CustomField', batch as never))) as unknown as MetadataSaveResult[];
  for (const r of [results].flat()) {
    const err = errorsOf(r)[0];
    if (r.success) {
      report.created.push(r.fullName);
      present.add(r.fullName);
    } else if (err?.statusCode === 'DUPLICATE_DEVELOPER_NAME') {
      report.existing.push(r.fullName);
      present.add(r.fullName);
    } else {
      report.warnings.push(`could not create ${r.fullName}: ${err?.statusCode ?? 'error'} ${err?.message ?? ''}`.trim());
    }
  }
}

async function upsertPermissionSets(api: SalesforceApi, writeBack: WriteBack, report: SetupReport, present: Set<string>): Promise<void> {
  // Only grant fields that exist (or are standard): a permission on a missing field fails the set.
  const sets = permissionSets(writeBack).map((s) => ({
    ...s,
    fieldPermissions: (s.fieldPermissions as Array<{ field: string }>).filter((p) => present.has(definingField(p.field))),
  }));
  const results = (await api.call((c) => c.metadata.upsert('PermissionSet', sets as never))) as unknown as MetadataSaveResult[];
  for (const r of [results].flat()) {
    const err = errorsOf(r)[0];
    if (!r.success)
      report.warnings.push(`could not save permission set ${r.fullName}: ${err?.statusCode ?? 'error'} ${err?.message ?? ''}`.trim());
    else (r.created ? report.created : report.existing).push(`PermissionSet ${r.fullName}`);
  }
}

async function assignToIntegrationUser(api: SalesforceApi, name: string, report: SetupReport): Promise<void> {
  const userId = await api.userId();
  const ps = await api.queryRows<{ Id: string }>(permissionSetByNameQuery(name));
  if (!ps[0]) {
    report.warnings.push(`permission set ${name} not found; assign field access to the integration user by hand`);
    return;
  }
  const label = `PermissionSetAssignment ${name} → ${userId}`;
  const assigned = await api.queryRows<{ Id: string }>(permissionSetAssignmentQuery(userId, ps[0].Id));
  if (assigned.length) {
    report.existing.push(label);
    return;
  }
  const r = (await api.call((c) => c.sobject('PermissionSetAssignment').create({ AssigneeId: userId, PermissionSetId: ps[0]!.Id }))) as {
    success: boolean;
  };
  if (r.success) report.created.push(label);
  else report.warnings.push(`could not assign ${name} to the integration user`);
}

/** Describes again (jsforce caches describes) and reports fields the integration user still cannot see. */
async function verifyVisible(api: SalesforceApi, writeBack: WriteBack, report: SetupReport): Promise<DescribedField[]> {
  const opp = await api.call((c) => c.describe(writeBack.object));
  const visible = new Set(opp.fields.map((f) => f.name));
  const hidden = Object.values(writeBack.fields).filter((f) => !visible.has(f));
  if (hidden.length) report.warnings.push(`${writeBack.object} fields not visible to the integration user yet: ${hidden.join(', ')}`);
  const keyField = writeBack.tasks.enabled ? writeBack.tasks.keyField : undefined;
  if (keyField) {
    const task = await api.call((c) => c.describe('Task'));
    if (!task.fields.some((f) => f.name === keyField)) report.warnings.push(`Task.${keyField} not visible to the integration user yet`);
  }
  return opp.fields as DescribedField[];
}
