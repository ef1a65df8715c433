import { randomUUID } from 'node:crypto';
import { json, type SbResponse } from '../http/types.ts';
import { type HsType, hsType } from './catalog.ts';

/**
 * Which OAuth scopes allow a call, written from the `security` sections of HubSpot's OpenAPI
 * specs (github.com/HubSpot/HubSpot-public-api-spec-collection, PublicApiSpecs/...) and the table
 * in docs/hubspot.md; never from the connector's own scope list.
 *
 * Where a spec names the object's scopes (deals, companies, contacts, tasks, owners, uninstall),
 * the rule is the spec's. Where a spec lists one alternative list for every object type at once
 * (properties, pipelines, associations: 26 to 100 alternatives, no per-type mapping), the sandbox
 * asks for the object type's own scope, stricter than the letter of the spec:
 * - property and group reads: `crm.schemas.<type>.read`; writes: `crm.schemas.<type>.write`;
 * - task properties: the specs name no write scope for tasks at all, so no token may change them;
 * - pipelines: the object type's read scope;
 * - associations: the read (or write) scope of both object types.
 */
export interface ScopeRule {
  /** Every group must be met by one of its scopes. An empty group can never be met. */
  need: string[][];
  /** Where the rule comes from (spec path or "conservative: ..."). */
  source: string;
}

const SPECS = 'PublicApiSpecs/CRM';

/** Objects APIs: one read and one write scope per type. Tasks take the contacts scopes (tasks spec). */
const OBJECT_SCOPES: Record<HsType, { read: string; write: string; spec: string }> = {
  deals: { read: 'crm.objects.deals.read', write: 'crm.objects.deals.write', spec: `${SPECS}/Deals/Rollouts/424/v3/deals.json` },
  companies: {
    read: 'crm.objects.companies.read',
    write: 'crm.objects.companies.write',
    spec: `${SPECS}/Companies/Rollouts/424/v3/companies.json`,
  },
  contacts: {
    read: 'crm.objects.contacts.read',
    write: 'crm.objects.contacts.write',
    spec: `${SPECS}/Contacts/Rollouts/424/v3/contacts.json`,
  },
  tasks: { read: 'crm.objects.contacts.read', write: 'crm.objects.contacts.write', spec: `${SPECS}/Tasks/Rollouts/424/v3/tasks.json` },
};

/** Properties API, per type. No HubSpot spec names `crm.schemas.tasks.write`: task properties are read-only here. */
const SCHEMA_SCOPES: Record<HsType, { read: string; write: string | null }> = {
  deals: { read: 'crm.schemas.deals.read', write: 'crm.schemas.deals.write' },
  companies: { read: 'crm.schemas.companies.read', write: 'crm.schemas.companies.write' },
  contacts: { read: 'crm.schemas.contacts.read', write: 'crm.schemas.contacts.write' },
  tasks: { read: 'crm.schemas.tasks.read', write: null },
};

const OWNERS = { need: [['crm.objects.owners.read', 'automation']], source: `${SPECS}/Crm Owners/Rollouts/146888/v3/crmOwners.json` };
const OAUTH_ONLY = (spec: string): ScopeRule => ({ need: [['oauth']], source: spec });

/** Settings API, currencies: its spec lets any of five scopes read, and only settings.currencies.write write. */
const CURRENCIES_SPEC = 'PublicApiSpecs/Settings/Multicurrency/Rollouts/145897/v3/multicurrency.json';
const CURRENCIES_READ: ScopeRule = {
  need: [['cpq.quotes.write', 'crm.objects.quotes.read', 'settings.currencies.read', 'crm.objects.quotes.write', 'cpq.quotes.read']],
  source: CURRENCIES_SPEC,
};
const CURRENCIES_WRITE: ScopeRule = { need: [['settings.currencies.write']], source: CURRENCIES_SPEC };

/** Every scope some rule accepts: an install may ask for these and no others. */
export const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  'oauth',
  'automation',
  'crm.objects.owners.read',
  ...Object.values(OBJECT_SCOPES).flatMap((s) => [s.read, s.write]),
  ...Object.values(SCHEMA_SCOPES).flatMap((s) => [s.read, ...(s.write ? [s.write] : [])]),
  ...CURRENCIES_READ.need[0]!,
  ...CURRENCIES_WRITE.need[0]!,
]);

const isVersion = (s: string | undefined) => !!s && (/^\d{4}-\d{2}$/.test(s) || /^v\d$/.test(s));

function objectRule(type: HsType, write: boolean): ScopeRule {
  const s = OBJECT_SCOPES[type];
  return { need: [[write ? s.write : s.read]], source: s.spec };
}

function associationRule(from: HsType, to: HsType, write: boolean): ScopeRule {
  const pick = (t: HsType) => (write ? OBJECT_SCOPES[t].write : OBJECT_SCOPES[t].read);
  return {
    need: [[pick(from)], [pick(to)]],
    source: `conservative: ${SPECS}/Associations/Rollouts/130902/v4/associations.json lists 80 scopes for every type; both types' ${write ? 'write' : 'read'} scopes asked`,
  };
}

function propertiesRule(type: HsType, write: boolean): ScopeRule {
  const s = SCHEMA_SCOPES[type];
  const source = `conservative: ${SPECS}/Properties/Rollouts/145899/v3/properties.json lists one set for every type; the type's schema scope asked`;
  if (!write) return { need: [[s.read]], source };
  return { need: [s.write ? [s.write] : []], source: s.write ? source : `${source}; the specs name no write scope for ${type} properties` };
}

/**
 * The rule for a call (path relative to the HubSpot mount, split on `/`), or null when the
 * sandbox does not serve it (it answers 404) or it takes no bearer token (OAuth endpoints).
 */
export function scopeRule(method: string, seg: string[]): ScopeRule | null {
  const m = method.toUpperCase();
  if (seg[0] === 'oauth') return null;
  if (seg[0] === 'appinstalls' && seg[2] === 'external-install')
    return OAUTH_ONLY(`${SPECS}/App Uninstalls/Rollouts/209039/2026-03/appUninstalls.json`);
  if (seg[0] === 'account-info') return OAUTH_ONLY('PublicApiSpecs/Account/Account Info/Rollouts/144923/v3/accountInfo.json');
  // /settings/v3/currencies/... and the date-based /settings/currencies/{yyyy-mm}/...
  if (seg[0] === 'settings' && (seg[2] === 'currencies' || seg[1] === 'currencies'))
    return m === 'GET' ? CURRENCIES_READ : CURRENCIES_WRITE;
  if (seg[0] !== 'crm') return null;
  // /crm/v3/objects/{type}/..., /crm/objects/{yyyy-mm}/{type}/..., /crm/v4/objects/{type}/{id}/associations/...
  const objects = seg[1] === 'objects' ? (isVersion(seg[2]) ? 3 : -1) : seg[2] === 'objects' ? 3 : -1;
  if (objects > 0) {
    const type = hsType(seg[objects] ?? '');
    if (!type) return null;
    const rest = seg.slice(objects + 1);
    if (rest[1] === 'associations') {
      const to = hsType(rest[2] === 'default' ? (rest[3] ?? '') : (rest[2] ?? ''));
      return to ? associationRule(type, to, m !== 'GET') : null;
    }
    const read = m === 'GET' || (m === 'POST' && (rest[0] === 'search' || (rest[0] === 'batch' && rest[1] === 'read')));
    return objectRule(type, !read);
  }
  // /crm/v4/associations/{from}/{to}/... and /crm/associations/{yyyy-mm}/{from}/{to}/...
  if (seg[2] === 'associations' || (seg[1] === 'associations' && isVersion(seg[2]))) {
    const from = hsType(seg[3] ?? '');
    const to = hsType(seg[4] ?? '');
    if (!from || !to) return null;
    return associationRule(from, to, !(m === 'GET' || seg.slice(5).join('/') === 'batch/read'));
  }
  // /crm/v3/properties/{type}/... and /crm/properties/{yyyy-mm}/{type}/...
  const props = seg.indexOf('properties');
  if (props === 1 || props === 2) {
    const at = props + (isVersion(seg[props + 1]) ? 2 : 1);
    const type = hsType(seg[at] ?? '');
    if (!type) return null;
    return propertiesRule(type, !(m === 'GET' || seg.slice(at + 1).join('/') === 'batch/read'));
  }
  if (seg[2] === 'pipelines') {
    const type = hsType(seg[3] ?? '');
    if (!type) return null;
    const r = objectRule(type, m !== 'GET');
    return {
      ...r,
      source: `conservative: ${SPECS}/Pipelines/Rollouts/145896/v3/pipelines.json lists 100 scopes for every type; the type's object scope asked`,
    };
  }
  if (seg[2] === 'owners') return OWNERS;
  return null;
}

/** The groups of a rule the granted scopes leave unmet. */
export function unmet(rule: ScopeRule, granted: readonly string[]): string[][] {
  return rule.need.filter((g) => !g.some((s) => granted.includes(s)));
}

/**
 * HubSpot's 403 for a token without the call's scope (body as HubSpot sends it, e.g.
 * HubSpot/hubspot-api-nodejs#50), naming the scopes of the first unmet group.
 */
export function missingScopes(required: string[]): SbResponse {
  return json(403, {
    status: 'error',
    message:
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
    correlationId: randomUUID(),
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: required } }],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
    category: 'MISSING_SCOPES',
  });
}
