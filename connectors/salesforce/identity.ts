import { AppError } from '../../src/core/errors.ts';
import type { SalesforceInstall } from './oauth.ts';

/** Who approved a grant, as far as its scopes let us ask. */
export interface SalesforcePerson {
  name: string | null;
  email: string | null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v : null);

async function getJson(fetchImpl: typeof fetch, url: string, token: string, what: string): Promise<Record<string, unknown>> {
  const res = await fetchImpl(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  if (!res.ok) {
    const body = (await res.text()).slice(0, 200);
    throw new AppError(
      res.status === 401 || res.status === 403 ? 'crm_permission_denied' : 'crm_unavailable',
      `Salesforce ${what} answered ${res.status}: ${body}`,
    );
  }
  return (await res.json()) as Record<string, unknown>;
}

/**
 * The person behind a sign-in grant (scope `id`): the identity URL of the token response answers
 * with their display name and e-mail (help.salesforce.com, "Identity URLs").
 */
export async function personFromIdentityUrl(install: SalesforceInstall, fetchImpl: typeof fetch = fetch): Promise<SalesforcePerson> {
  const body = await getJson(fetchImpl, install.identityUrl, install.credentials.accessToken, 'identity URL');
  return { name: text(body.display_name), email: text(body.email) };
}

/**
 * The person behind an install grant (`api refresh_token`, no identity scope, so neither userinfo
 * nor the identity URL answers): their User record through the REST API, by the user id the
 * token response's identity URL carries.
 */
export async function personFromUserRecord(
  install: SalesforceInstall,
  apiVersion: string,
  fetchImpl: typeof fetch = fetch,
): Promise<SalesforcePerson> {
  const base = (install.credentials.instanceUrl ?? '').replace(/\/$/, '');
  if (!base) throw new AppError('crm_bad_request', 'Salesforce token response has no instance_url');
  const url = `${base}/services/data/v${apiVersion}/sobjects/User/${encodeURIComponent(install.userId)}?fields=Name,Email`;
  const body = await getJson(fetchImpl, url, install.credentials.accessToken, 'User record');
  return { name: text(body.Name), email: text(body.Email) };
}
