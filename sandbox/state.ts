import type { CallLogEntry } from './http/types.ts';
import type { HubSpotPortal, PropertyWrite } from './hubspot/portal.ts';
import type { SalesforceMount } from './salesforce/api.ts';
import type { FieldWrite, PermissionSetRec, SalesforceOrg } from './salesforce/org.ts';
import { formatSfValue } from './soql/format.ts';
import type { Row } from './soql/schema.ts';

type Json = Record<string, unknown>;

/** Read access to what the sandbox holds, for tests and the demo (never through HTTP). */
export interface SandboxState {
  /** Every request served, in order (admin calls included). */
  calls: CallLogEntry[];
  salesforce: {
    /** Live opportunities as the REST API renders them, custom fields included whatever the FLS. */
    opportunities(opts?: { includeDeleted?: boolean }): Json[];
    opportunity(id: string): Json | null;
    /** Tasks created through the API (their status follows the reps' completions). */
    tasks(): Json[];
    /** Every update written through the API, in order. */
    fieldWrites: FieldWrite[];
    customFields(): string[];
    permissionSets(): PermissionSetRec[];
    apiUsage(): { used: number; limit: number | null };
  };
  hubspot: {
    deals(opts?: { archived?: boolean }): Array<{ id: string; properties: Record<string, string | null> }>;
    deal(id: string): { id: string; properties: Record<string, string | null> } | null;
    /** Tasks created through the API, with the deals they are associated with. */
    tasks(): Array<{ id: string; properties: Record<string, string | null>; deals: string[] }>;
    /** Every create and update written through the API, in order. */
    propertyWrites: PropertyWrite[];
    properties(type?: 'deals' | 'tasks' | 'companies' | 'contacts'): string[];
  };
}

export function buildState(o: {
  org: SalesforceOrg;
  portal: HubSpotPortal;
  calls: CallLogEntry[];
  sfMount: SalesforceMount;
  baseUrl: string;
}): SandboxState {
  const { org, portal } = o;
  const renderSf = (object: string, row: Row): Json => {
    const def = org.describe(object)!;
    const custom = [...org.customFields.values()].filter((c) => c.fullName.startsWith(`${object}.`)).map((c) => c.def);
    const out: Json = { attributes: { type: object } };
    for (const f of [...def.fields, ...custom.filter((c) => !def.fields.some((d) => d.name === c.name))])
      out[f.name] = formatSfValue(f.type, row.get(f.name));
    return out;
  };
  return {
    calls: o.calls,
    salesforce: {
      opportunities: (opts = {}) =>
        [...org.rows('Opportunity', { all: opts.includeDeleted ?? false })].map((r) => renderSf('Opportunity', r)),
      opportunity: (id) => {
        const r = org.byId('Opportunity', id);
        return r ? renderSf('Opportunity', r) : null;
      },
      tasks: () => [...org.manual.values()].filter((m) => m.object === 'Task').map((m) => renderSf('Task', org.byId('Task', m.id)!)),
      fieldWrites: org.writes,
      customFields: () => [...org.customFields.values()].map((c) => c.fullName),
      permissionSets: () => [...org.permissionSets.values()],
      apiUsage: () => ({ used: o.sfMount.used, limit: null }),
    },
    hubspot: {
      deals: (opts = {}) =>
        [...portal.objects('deals', { archived: opts.archived ?? false })].map((d) => ({ id: d.id, properties: d.all() })),
      deal: (id) => {
        const d = portal.get('deals', id) ?? portal.get('deals', id, true);
        return d ? { id: d.id, properties: d.all() } : null;
      },
      tasks: () =>
        [...portal.objects('tasks', { archived: false })].map((t) => ({
          id: t.id,
          properties: t.all(),
          deals: portal.associations('tasks', t.id, 'deals').map((l) => l.id),
        })),
      propertyWrites: portal.writes,
      properties: (type = 'deals') => [...portal.properties[type].keys()],
    },
  };
}
