import { HUBSPOT_APP_BASE } from './oauth.ts';

/**
 * A deal's page in HubSpot's app, `<app>/contacts/<portal>/record/0-3/<id>` (0-3: the deal object
 * type). `appBase` is the sandbox CRM's app in the demo. Null before the portal is known.
 */
export function hubspotRecordUrl(portalId: string | null | undefined, dealId: string, appBase: string = HUBSPOT_APP_BASE): string | null {
  if (!portalId) return null;
  return `${appBase.replace(/\/+$/, '')}/contacts/${encodeURIComponent(portalId)}/record/0-3/${encodeURIComponent(dealId)}`;
}
