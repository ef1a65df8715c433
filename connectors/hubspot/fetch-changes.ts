import type { ConnectorLogger, FetchOptions, FetchPage } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { info } from './batching.ts';
import { decodeCursor, encodeCursor, type HubSpotCursor } from './cursor.ts';
import type { DealEnricher, HubSpotObject } from './enrich.ts';

export interface FetchSettings {
  api: HubSpotApi;
  enricher: DealEnricher;
  /** Deal properties to read (the mapping's source paths plus what the connector needs). */
  properties: string[];
  now: () => Date;
  log: ConnectorLogger;
  /** Re-read this much before the last high-water mark: the search index lags writes, and long transactions commit late. */
  overlapMs: number;
  /** How often the archived (deleted) deals are listed; `deal.deletion` webhooks cover the time between. */
  archivedEveryMs: number;
  /** HubSpot search: at most 200 per page and 10,000 results per query. */
  searchPageSize: number;
  searchCap: number;
}

export const DEFAULT_FETCH = { overlapMs: 5 * 60_000, archivedEveryMs: 24 * 3_600_000, searchPageSize: 200, searchCap: 10_000 };
const LIST_PAGE_SIZE = 100;
/** At most this many discarded probe searches per run. */
const MAX_PROBES_PER_RUN = 20;

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (s: string): number => Date.parse(s);

interface SearchResult {
  total: number;
  results: HubSpotObject[];
}

async function searchWindow(s: FetchSettings, lo: number, hi: number, lastId: string | null): Promise<SearchResult> {
  const filters = [
    { propertyName: 'hs_lastmodifieddate', operator: 'GTE', value: String(lo) },
    { propertyName: 'hs_lastmodifieddate', operator: 'LT', value: String(hi) },
    ...(lastId ? [{ propertyName: 'hs_object_id', operator: 'GT', value: lastId }] : []),
  ];
  const body = {
    filterGroups: [{ filters }],
    // Keyset inside the window: sorted by id, the next page starts after the last id, so the
    // offset (`after`) never grows and the 10,000-result paging cap is never reached.
    sorts: [{ propertyName: 'hs_object_id', direction: 'ASCENDING' }],
    properties: s.properties,
    limit: s.searchPageSize,
  };
  const r = await s.api.call({ budget: 'search', op: 'search deals', idempotent: true }, async (c) =>
    // The SDK types `sorts` as strings; HubSpot takes {propertyName, direction} objects.
    info(await c.crm.deals.searchApi.doSearchWithHttpInfo(body as never)),
  );
  return { total: r.data.total, results: r.data.results as unknown as HubSpotObject[] };
}

async function* fullSync(s: FetchSettings, c: Extract<HubSpotCursor, { phase: 'full' }> | null): AsyncGenerator<FetchPage> {
  const startedAt = c?.startedAt ?? s.now().toISOString();
  let after = c?.after ?? null;
  for (;;) {
    const r = await s.api.call({ budget: 'standard', op: 'list deals', idempotent: true }, async (cl) =>
      info(await cl.crm.deals.basicApi.getPageWithHttpInfo(LIST_PAGE_SIZE, after ?? undefined, s.properties, undefined, undefined, false)),
    );
    after = r.data.paging?.next?.after ?? null;
    const records = await s.enricher.enrich(r.data.results as unknown as HubSpotObject[]);
    // Nothing was stored before a first sync, so there is nothing to delete: the archived
    // check starts counting from here.
    const cursor: HubSpotCursor = after
      ? { v: 1, phase: 'full', startedAt, after, archivedCheckedAt: null }
      : { v: 1, phase: 'incremental', since: startedAt, run: null, archivedCheckedAt: startedAt };
    yield { records, deletedIds: [], cursor: encodeCursor(cursor) };
    if (!after) return;
  }
}

async function* incremental(s: FetchSettings, c: Extract<HubSpotCursor, { phase: 'incremental' }>): AsyncGenerator<FetchPage> {
  let since: number;
  let run: { to: number; winTo: number; lastId: string | null };
  if (c.run) {
    since = ms(c.since);
    run = { to: ms(c.run.to), winTo: ms(c.run.winTo), lastId: c.run.lastId };
  } else {
    const to = s.now().getTime();
    since = Math.min(ms(c.since) - s.overlapMs, to);
    run = { to, winTo: to, lastId: null };
  }
  const seen = new Set<string>();
  const cursorNow = (): HubSpotCursor =>
    since >= run.to
      ? { v: 1, phase: 'incremental', since: iso(run.to), run: null, archivedCheckedAt: c.archivedCheckedAt }
      : {
          v: 1,
          phase: 'incremental',
          since: iso(since),
          run: { to: iso(run.to), winTo: iso(run.winTo), lastId: run.lastId },
          archivedCheckedAt: c.archivedCheckedAt,
        };

  // Splitting is belt and braces: keyset paging never offsets past 200, so a big window is still
  // read correctly. It stops as soon as it stops helping (changes bunched in one instant, e.g. our
  // own batch writes) and after a fixed number of probes, so it can never cost more than it saves.
  let probesLeft = MAX_PROBES_PER_RUN;
  let lastBigTotal: number | null = null;
  while (since < run.to) {
    const page = await searchWindow(s, since, run.winTo, run.lastId);
    const tooBig = run.lastId === null && page.total > s.searchCap && run.winTo - since > 1;
    if (tooBig && probesLeft > 0 && (lastBigTotal === null || page.total < lastBigTotal)) {
      // Shrink in proportion (assuming an even spread, aiming at 90% of the cap) and ask again;
      // this probe's results are not used.
      const span = run.winTo - since;
      const next = since + Math.max(1, Math.floor((span * s.searchCap * 0.9) / page.total));
      s.log.info('hubspot search window split', { from: iso(since), to: iso(run.winTo), total: page.total, newTo: iso(next) });
      run.winTo = next;
      lastBigTotal = page.total;
      probesLeft--;
      continue;
    }
    if (tooBig) probesLeft = 0; // no progress from splitting: keyset through the rest
    const fresh = page.results.filter((o) => !seen.has(o.id));
    for (const o of fresh) seen.add(o.id);
    const windowDone = page.results.length < s.searchPageSize || page.total <= page.results.length;
    if (windowDone) {
      since = run.winTo;
      run.winTo = run.to;
      run.lastId = null;
    } else {
      run.lastId = page.results[page.results.length - 1]!.id;
    }
    yield { records: await s.enricher.enrich(fresh), deletedIds: [], cursor: encodeCursor(cursorNow()) };
  }
  yield* archived(s, cursorNow() as Extract<HubSpotCursor, { phase: 'incremental' }>);
}

/** Deals moved to the recycle bin since the last check (daily; webhooks report deletions sooner). */
async function* archived(s: FetchSettings, c: Extract<HubSpotCursor, { phase: 'incremental' }>): AsyncGenerator<FetchPage> {
  const checkStart = s.now().getTime();
  if (c.archivedCheckedAt && checkStart - ms(c.archivedCheckedAt) < s.archivedEveryMs) return;
  const threshold = c.archivedCheckedAt ? ms(c.archivedCheckedAt) - s.overlapMs : -Infinity;
  let after: string | null = null;
  do {
    const r = await s.api.call({ budget: 'standard', op: 'list archived deals', idempotent: true }, async (cl) =>
      info(
        await cl.crm.deals.basicApi.getPageWithHttpInfo(LIST_PAGE_SIZE, after ?? undefined, ['hs_object_id'], undefined, undefined, true),
      ),
    );
    after = r.data.paging?.next?.after ?? null;
    const deletedIds = (r.data.results as unknown as HubSpotObject[])
      .filter((o) => {
        const at = o.archivedAt instanceof Date ? o.archivedAt.getTime() : o.archivedAt ? Date.parse(o.archivedAt) : NaN;
        return Number.isNaN(at) || at >= threshold;
      })
      .map((o) => o.id);
    const cursor: HubSpotCursor = { ...c, archivedCheckedAt: after ? c.archivedCheckedAt : iso(checkStart) };
    if (deletedIds.length || !after) yield { records: [], deletedIds, cursor: encodeCursor(cursor) };
  } while (after);
}

/** The connector's fetchChanges: full list on a first sync, then windowed keyset search. */
export async function* fetchChanges(s: FetchSettings, opts: FetchOptions): AsyncGenerator<FetchPage> {
  const c = decodeCursor(opts.cursor);
  opts.signal?.throwIfAborted();
  const pages = !c || c.phase === 'full' ? fullSync(s, c) : incremental(s, c);
  for await (const page of pages) {
    yield page;
    // Checked between pages: the page just handed over is complete and its cursor is safe.
    opts.signal?.throwIfAborted();
  }
}
