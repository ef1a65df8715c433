import type { HubSpotApi } from './api.ts';
import { BATCH_SIZE, chunk, info } from './batching.ts';

/** One associated record: its id and the association type ids that link it. */
export interface Associated {
  id: string;
  typeIds: number[];
}

/**
 * Associated record ids per source id through the v4 batch read, 100 sources a call (HubSpot's
 * association batch-read limit, changelog 2024-09), every page of them: a source with more links
 * than one answer holds carries its own `paging.next.after`, sent back alongside its id.
 */
export async function readAssociations(
  api: HubSpotApi,
  from: string,
  to: string,
  ids: readonly string[],
  op: string,
): Promise<Map<string, Associated[]>> {
  const out = new Map<string, Associated[]>();
  let pending: Array<{ id: string; after?: string }> = [...new Set(ids)].map((id) => ({ id }));
  while (pending.length) {
    const more: typeof pending = [];
    for (const part of chunk(pending, BATCH_SIZE)) {
      const r = await api.call({ budget: 'standard', op, idempotent: true }, async (c) =>
        info(await c.crm.associations.v4.batchApi.getPageWithHttpInfo(from, to, { inputs: part })),
      );
      for (const row of r.data.results) {
        const id = String(row._from.id);
        const links = out.get(id) ?? [];
        for (const t of row.to ?? []) links.push({ id: String(t.toObjectId), typeIds: (t.associationTypes ?? []).map((a) => a.typeId) });
        out.set(id, links);
        const after = row.paging?.next?.after;
        if (after) more.push({ id, after });
      }
    }
    pending = more;
  }
  return out;
}
