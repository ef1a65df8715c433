import { randomUUID } from 'node:crypto';
import { json, type SbResponse } from '../http/types.ts';
import { HS_TYPES, type HsType } from './catalog.ts';
import type { HubSpotPortal } from './portal.ts';
import { type HsObject, iso } from './records.ts';

/** HubSpot's standard error body. */
export function hsError(status: number, category: string, message: string, extra: Record<string, unknown> = {}): SbResponse {
  return json(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra });
}

export interface RenderOptions {
  properties: string[] | null;
  propertiesWithHistory: string[];
  associations: HsType[];
  /** Return every property with a value (create/update responses). */
  allValues?: boolean;
}

/** SimplePublicObject: {id, properties (strings), createdAt, updatedAt, archived, ...}. */
export function renderObject(
  portal: HubSpotPortal,
  baseUrl: string,
  o: HsObject,
  r: RenderOptions,
  defaults: string[],
): Record<string, unknown> {
  const props: Record<string, string | null> = {};
  if (r.allValues) {
    for (const [k, v] of Object.entries(o.all())) if (v !== null) props[k] = v;
  } else {
    for (const p of r.properties ?? defaults) {
      if (!portal.properties[o.type].has(p)) continue;
      props[p] = o.get(p);
    }
    // HubSpot always adds the id and the create / modify stamps to whatever was asked for.
    const always =
      o.type === 'contacts'
        ? ['createdate', 'lastmodifieddate']
        : o.type === 'tasks'
          ? ['hs_createdate', 'hs_lastmodifieddate']
          : ['createdate', 'hs_lastmodifieddate'];
    for (const p of ['hs_object_id', ...always]) props[p] = o.get(p);
  }
  const sorted = Object.fromEntries(Object.entries(props).sort(([a], [b]) => a.localeCompare(b)));
  const archivedAt = o.archivedAt();
  const out: Record<string, unknown> = {
    id: o.id,
    properties: sorted,
    createdAt: iso(o.createdAt),
    updatedAt: iso(o.updatedAt()),
    archived: archivedAt !== null && archivedAt <= portal.now(),
  };
  if (out.archived) out.archivedAt = iso(archivedAt);
  if (r.propertiesWithHistory.length) {
    const h: Record<string, unknown> = {};
    for (const p of r.propertiesWithHistory) if (portal.properties[o.type].has(p)) h[p] = o.history(p);
    out.propertiesWithHistory = h;
  }
  if (r.associations.length) {
    const a: Record<string, unknown> = {};
    for (const t of r.associations) {
      const links = portal.associations(o.type, o.id, t);
      if (links.length) a[t] = { results: links.map((l) => ({ id: l.id, type: l.name })) };
    }
    if (Object.keys(a).length) out.associations = a;
  }
  out.url = `${baseUrl}/hs/${o.type === 'tasks' ? `tasks/${portal.portalId}/view/all/task` : `contacts/${portal.portalId}/record/${HS_TYPES[o.type]}`}/${o.id}`;
  return out;
}

export const csv = (v: string | null | undefined): string[] =>
  v
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
