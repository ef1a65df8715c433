import type { WriteBack } from '../../src/mapping/schema.ts';
import { type CustomFieldMeta, permissionSets, riskFieldDefinitions } from './field-definitions.ts';

/**
 * Renders the Salesforce DX source (force-app/) from the same definitions setup() sends
 * through the Metadata API, so the two install paths cannot drift apart. Written to disk by
 * `npm run salesforce:dx-source` (src/cli/write-dx-source.ts).
 */

const NS = 'http://soap.sforce.com/2006/04/metadata';

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function element(name: string, value: unknown, indent: string): string {
  if (Array.isArray(value)) return value.map((v) => element(name, v, indent)).join('');
  if (value && typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v, `${indent}    `))
      .join('');
    return `${indent}<${name}>\n${inner}${indent}</${name}>\n`;
  }
  return `${indent}<${name}>${escapeXml(String(value))}</${name}>\n`;
}

function document(root: string, body: Record<string, unknown>): string {
  const inner = Object.entries(body)
    .map(([k, v]) => element(k, v, '    '))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NS}">\n${inner}</${root}>\n`;
}

/** Source format names a field by its own API name; the folder names the object. */
export function fieldFile(def: CustomFieldMeta): { path: string; xml: string } {
  const [object, apiName] = def.fullName.split('.') as [string, string];
  const { fullName: _full, ...rest } = def;
  const body = { fullName: apiName, ...rest };
  return { path: `main/default/objects/${object}/fields/${apiName}.field-meta.xml`, xml: document('CustomField', sortKeys(body)) };
}

export function permissionSetFile(set: Record<string, unknown>): { path: string; xml: string } {
  const { fullName, ...rest } = set;
  return { path: `main/default/permissionsets/${String(fullName)}.permissionset-meta.xml`, xml: document('PermissionSet', rest) };
}

/** Metadata XML lists elements in WSDL (alphabetical) order, fullName first. */
function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  const { fullName, ...rest } = o;
  return { fullName, ...Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b))) };
}

/** Every generated file under force-app/, keyed by path relative to force-app/. */
export function renderDxSource(writeBack: WriteBack): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of riskFieldDefinitions(writeBack)) {
    const f = fieldFile(def);
    out.set(f.path, f.xml);
  }
  for (const set of permissionSets(writeBack)) {
    const f = permissionSetFile(set);
    out.set(f.path, f.xml);
  }
  return out;
}
