import { json, type SbResponse } from '../http/types.ts';

/**
 * OAuth scopes as Salesforce grants and checks them, written from docs/crm-limits.md (Salesforce,
 * "scopes" rows) and Salesforce's scope reference (help.salesforce.com, "OAuth Tokens and Scopes"):
 * - `api` allows REST, Bulk API 2.0 and the Metadata API;
 * - `id` allows the identity URL and userinfo; `profile`, `email`, `address` and `phone` are its
 *   synonyms;
 * - `refresh_token` (synonym `offline_access`) is what makes the token response carry a refresh token;
 * - `full` encompasses the others except `refresh_token` ("full does not return a refresh token").
 */
export type SfScopeNeed = 'api' | 'id' | 'refresh_token';

const NEED_OF: Record<string, SfScopeNeed> = {
  api: 'api',
  id: 'id',
  profile: 'id',
  email: 'id',
  address: 'id',
  phone: 'id',
  refresh_token: 'refresh_token',
  offline_access: 'refresh_token',
};

/** Scope names Salesforce knows (its openid-configuration `scopes_supported`, the ones the sandbox models). */
export const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...Object.keys(NEED_OF),
  'full',
  'openid',
  'web',
  'visualforce',
  'chatter_api',
  'custom_permissions',
]);

export const scopeList = (scope: string | null | undefined): string[] => (scope ?? '').split(/\s+/).filter(Boolean);

/** True when a token granted `scope` may make a call that needs `need`. */
export function grants(scope: string, need: SfScopeNeed): boolean {
  const names = scopeList(scope);
  if (need !== 'refresh_token' && names.includes('full')) return true;
  return names.some((n) => NEED_OF[n] === need);
}

/** What a requested scope needs the app to have selected (a scope outside NEED_OF is its own need). */
export const needOf = (scope: string): string => NEED_OF[scope] ?? scope;

/**
 * REST and Bulk API 2.0 without `api`: Salesforce answers 401 INVALID_SESSION_ID "This session is
 * not valid for use with the REST API" (jsforce PR #1301, NangoHQ/nango#4344, b2b-commerce PR #56).
 */
export const restScopeRefusal = (): SbResponse =>
  json(401, [{ message: 'This session is not valid for use with the REST API', errorCode: 'INVALID_SESSION_ID' }]);

/** The SOAP (Metadata) API without `api`: "This session is not valid for use with the API". */
export const SOAP_SCOPE_REFUSAL = 'This session is not valid for use with the API';

/**
 * The identity URL and userinfo without `id`: the identity service answers with a 403 and a
 * one-word text body (its documented errors are Bad_OAuth_Token, Missing_OAuth_Token, ...). The
 * docs do not name the missing-scope word; `Invalid_Scope` is what the same service was seen to
 * answer for a missing scope (docs/crm-limits.md).
 */
export const identityScopeRefusal = (): SbResponse => ({ status: 403, text: 'Invalid_Scope' });
