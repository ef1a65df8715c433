import { fieldsFromRecords } from '../../connectors/csv/describe-fields.ts';
import type { SourceField } from '../../connectors/types.ts';
import { AppError } from '../core/errors.ts';
import type { Connection } from '../store/repos/connections.ts';
import { makeConnector } from '../sync/make-connector.ts';
import type { MappingSourceName } from './api/settings.ts';
import type { ServerContext } from './context.ts';

/** The fields an admin can pick from, and where the list came from. */
export interface FieldList {
  fields: SourceField[];
  /** `crm`: the CRM's describe / properties API; `records`: the paths seen in stored records. */
  from: 'crm' | 'records';
  /** One sentence for the page: what was listed, or why the CRM could not be asked. */
  note: string;
}

/** How long a CRM's field list is reused: an admin editing for a while costs one describe. */
export const FIELD_LIST_TTL_MS = 5 * 60_000;
/** A CRM that failed is asked again after this long, not on every keystroke of the preview. */
export const FIELD_LIST_RETRY_MS = 30_000;
/** Stored records read when the CRM cannot be asked. */
const RECORDS_SAMPLED = 50;

const CRM_NAME: Record<MappingSourceName, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

type Entry = { until: number; value: Promise<SourceField[]> };
const caches = new WeakMap<ServerContext, Map<string, Entry>>();

/**
 * The CRM's own field list for a connection, cached per connection for FIELD_LIST_TTL_MS (a
 * failure for FIELD_LIST_RETRY_MS). Concurrent views share one call. Wall-clock time, like the
 * connections cache: the app's clock may be a sandbox's, which only moves on request.
 */
function describeCached(s: ServerContext, connection: Connection): Promise<SourceField[]> {
  let cache = caches.get(s);
  if (!cache) {
    cache = new Map();
    caches.set(s, cache);
  }
  const key = `${connection.tenantId}:${connection.id}`;
  const t = Date.now();
  const hit = cache.get(key);
  if (hit && hit.until > t) return hit.value;
  if (cache.size > 10_000) cache.clear();
  const value = (async () => {
    const connector = await makeConnector(s.app, connection);
    if (!connector.describeFields) throw new AppError('not_found', `the ${connection.crm} connector cannot list its fields`);
    return connector.describeFields();
  })();
  const entry: Entry = { until: t + FIELD_LIST_TTL_MS, value };
  cache.set(key, entry);
  value.catch(() => {
    entry.until = Date.now() + FIELD_LIST_RETRY_MS;
  });
  return value;
}

/** Forget a tenant's cached field lists (its mapping or connection changed). */
export function forgetFieldLists(s: ServerContext, tenantId: string): void {
  const cache = caches.get(s);
  if (!cache) return;
  for (const key of cache.keys()) if (key.startsWith(`${tenantId}:`)) cache.delete(key);
}

/** Raw records of a source as stored with the tenant's deals, newest first. */
export async function storedRecords(
  s: ServerContext,
  tenantId: string,
  source: MappingSourceName,
  limit: number,
): Promise<Array<{ id: string; data: Record<string, unknown> }>> {
  const rows = await s.app.store.db
    .selectFrom('deals')
    .select(['external_id', 'raw'])
    .where('tenant_id', '=', tenantId)
    .where('source', '=', source)
    .where('raw', 'is not', null)
    .orderBy('updated_at', 'desc')
    .orderBy('external_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.external_id, data: r.raw ?? {} }));
}

/**
 * The fields of the tenant's CRM: its connection's describe (Salesforce) or properties API
 * (HubSpot), cached. Without a live connection, or when the CRM does not answer, the paths seen
 * in the tenant's stored records of that CRM, so the form still offers what has been synced.
 */
export async function sourceFields(s: ServerContext, tenantId: string, source: MappingSourceName): Promise<FieldList> {
  const crm = CRM_NAME[source];
  const connection = (await s.connections(tenantId)).find((c) => c.crm === source && (c.status === 'active' || c.status === 'paused'));
  let why: string;
  if (connection) {
    try {
      const fields = await describeCached(s, connection);
      const own = fields.filter((f) => f.origin === 'field').length;
      return {
        fields,
        from: 'crm',
        note: `${own} fields listed by ${crm}, ${fields.length - own} more from related records and values dealrisk derives.`,
      };
    } catch (e) {
      why = `${crm} did not list its fields (${e instanceof Error ? e.message : String(e)})`;
      s.app.logger.warn('field list unavailable', { tenantId, connectionId: connection.id, crm: source, error: e });
    }
  } else {
    why = `No active ${crm} connection`;
  }
  const records = await storedRecords(s, tenantId, source, RECORDS_SAMPLED);
  return {
    fields: fieldsFromRecords(records),
    from: 'records',
    note: records.length
      ? `${why}: listing the fields seen in ${records.length} stored ${crm} records.`
      : `${why}, and no ${crm} records are stored yet: type field names as ${crm} spells them.`,
  };
}
