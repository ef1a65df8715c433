import { z } from 'zod';
import { hubspotRecordUrl } from '../../../connectors/hubspot/record-url.ts';
import { salesforceRecordUrl } from '../../../connectors/salesforce/record-url.ts';
import type { Connection } from '../../store/repos/connections.ts';
import type { WebDeps } from '../deps.ts';
import type { ActionView, DriverView } from './schemas.ts';

const DriverIn = z.object({
  feature: z.string(),
  label: z.string().catch(''),
  contribution: z.number().catch(0),
  direction: z.enum(['raises_risk', 'lowers_risk']).catch('raises_risk'),
  sentence: z.string().catch(''),
});
const ActionIn = z.object({
  action: z.string(),
  title: z.string().catch(''),
  priority: z.enum(['immediate', 'this_week', 'ongoing']).catch('ongoing'),
  rationale: z.string().catch(''),
});

/**
 * Drivers and actions out of a stored score's `detail` (written by the sync engine). Read
 * defensively: an entry that does not fit is skipped rather than failing the page.
 */
export function readDetail(detail: Record<string, unknown> | null | undefined): {
  drivers: DriverView[];
  actions: ActionView[];
  confidence: string | null;
} {
  const list = <T>(v: unknown, s: z.ZodType<T>): T[] =>
    Array.isArray(v)
      ? v.flatMap((x) => {
          const r = s.safeParse(x);
          return r.success ? [r.data] : [];
        })
      : [];
  return {
    drivers: list(detail?.drivers, DriverIn),
    actions: list(detail?.actions, ActionIn),
    confidence: typeof detail?.confidence === 'string' ? detail.confidence : null,
  };
}

/** Links to records in the CRM from the tenant's connections, built by the app's OAuth provider or the connector's own function. */
export function recordLinker(deps: WebDeps, connections: Connection[]): (source: string, externalId: string) => string | null {
  const bySource = new Map<string, Connection>();
  for (const c of connections) if (!bySource.has(c.crm) || c.status === 'active') bySource.set(c.crm, c);
  return (source, externalId) => {
    const c = bySource.get(source);
    if (!c || (source !== 'salesforce' && source !== 'hubspot')) return null;
    const custom = deps.oauth[source]?.recordUrl?.(c, externalId);
    if (custom !== undefined) return custom;
    return source === 'salesforce' ? salesforceRecordUrl(c.instanceUrl, externalId) : hubspotRecordUrl(c.accountId, externalId);
  };
}
