/**
 * A record's page in Lightning Experience, `<instance>/lightning/r/<object>/<id>/view`: the link
 * the connector puts in alerts and tasks and the dashboard shows. Null without an instance URL
 * (a connection not yet authorised).
 */
export function salesforceRecordUrl(instanceUrl: string | null | undefined, recordId: string, object = 'Opportunity'): string | null {
  if (!instanceUrl) return null;
  return `${instanceUrl.replace(/\/+$/, '')}/lightning/r/${object}/${encodeURIComponent(recordId)}/view`;
}
