import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Paths our backend serves for HubSpot; the app card and webhook settings point here. */
export const CARD_DATA_PATH = '/integrations/hubspot/card';
export const WEBHOOK_PATH = '/integrations/hubspot/webhook';

/** HubSpot rejects nothing older than this itself; we refuse signatures older than 5 minutes. */
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

/**
 * HubSpot signs the request URI with these characters decoded and nothing else (request
 * validation, v3): decode exactly these before hashing.
 */
const DECODE: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};
export const decodeSignedUri = (uri: string): string =>
  uri.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODE[m.toUpperCase()]!);

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'mismatch' };

/**
 * HubSpot request signature v3: base64 HMAC-SHA256, keyed with the app's client secret, over
 * method + full URI (decoded as above) + raw body + timestamp. Constant-time compare; a
 * timestamp older than 5 minutes (or from the future beyond the same slack) is refused.
 */
export function verifySignatureV3(a: {
  method: string;
  /** The full URL HubSpot called: https://host/path?query (behind a proxy: the public one). */
  url: string;
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  clientSecret: string;
  now: Date;
}): SignatureCheck {
  if (!a.signature || !a.timestamp || !a.clientSecret) return { ok: false, reason: 'missing' };
  const ts = Number(a.timestamp);
  if (!Number.isFinite(ts) || Math.abs(a.now.getTime() - ts) > MAX_SIGNATURE_AGE_MS) return { ok: false, reason: 'stale' };
  const source = `${a.method.toUpperCase()}${decodeSignedUri(a.url)}${a.body}${a.timestamp}`;
  const expected = createHmac('sha256', a.clientSecret).update(source, 'utf8').digest();
  const given = Buffer.from(a.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** What a framework adapter (src/server/http/raw.ts) hands the handlers. */
export interface HandlerRequest {
  method: string;
  /** The full URL HubSpot called (APP_URL + originalUrl), or a path when `publicBaseUrl` is set. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received: the signature covers these bytes (either name works). */
  rawBody?: string | Buffer;
  body?: string | Buffer;
}

export interface HandlerResponse {
  status: number;
  /** JSON to send; absent for 204. */
  body?: unknown;
}

export interface SignedDeps {
  clientSecret: string;
  /** Public origin HubSpot calls (APP_URL), to rebuild the signed URL when given only a path. */
  publicBaseUrl?: string;
  now?: () => Date;
}

const headerOf = (h: HandlerRequest['headers'], name: string): string | undefined => {
  const v = h[name] ?? h[name.toLowerCase()] ?? Object.entries(h).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return Array.isArray(v) ? v[0] : v;
};

function checkSigned(req: HandlerRequest, deps: SignedDeps): { url: URL; body: string } | HandlerResponse {
  const raw = req.rawBody ?? req.body ?? '';
  const body = typeof raw === 'string' ? raw : raw.toString('utf8');
  const full = /^https?:\/\//i.test(req.url) ? req.url : `${(deps.publicBaseUrl ?? 'http://invalid').replace(/\/$/, '')}${req.url}`;
  const check = verifySignatureV3({
    method: req.method,
    url: full,
    body,
    timestamp: headerOf(req.headers, 'x-hubspot-request-timestamp'),
    signature: headerOf(req.headers, 'x-hubspot-signature-v3'),
    clientSecret: deps.clientSecret,
    now: (deps.now ?? (() => new Date()))(),
  });
  if (!check.ok) return { status: 401, body: { error: 'unauthorized', message: `HubSpot signature ${check.reason}` } };
  return { url: new URL(full), body };
}

/** One deal's risk as the card shows it. */
export interface DealRiskView {
  score: number;
  category: 'Low' | 'Medium' | 'High' | 'Critical';
  /** 0..1, as the scoring core reports it (the card shows it as a percentage). */
  winProbability: number | null;
  /** Plain-language sentences, most important first. */
  drivers: string[];
  actions: Array<{ horizon: 'immediate' | 'this_week' | 'ongoing'; text: string }>;
  modelStatus: string;
  scoredAt: string | null;
}

export interface CardDeps extends SignedDeps {
  /** Must answer for THIS portal only: the portal id comes from the signed request. */
  lookupDealRisk(portalId: string, dealId: string): Promise<DealRiskView | null>;
}

const Digits = z.string().regex(/^\d{1,20}$/);

/**
 * GET /integrations/hubspot/card?dealId=… from the app card's hubspot.fetch. HubSpot appends
 * portalId (and userId, appId…) to the query before signing, so the portal is trusted only
 * after the signature checks out, and nothing from another portal can be asked for.
 */
export function cardDataHandler(deps: CardDeps): (req: HandlerRequest) => Promise<HandlerResponse> {
  return async (req) => {
    const signed = checkSigned(req, deps);
    if ('status' in signed) return signed;
    const portal = Digits.safeParse(signed.url.searchParams.get('portalId'));
    const deal = Digits.safeParse(signed.url.searchParams.get('dealId') ?? signed.url.searchParams.get('objectId'));
    if (!portal.success || !deal.success) {
      return { status: 400, body: { error: 'input_invalid', message: 'portalId and dealId must be numeric HubSpot ids' } };
    }
    const risk = await deps.lookupDealRisk(portal.data, deal.data);
    if (!risk) return { status: 404, body: { error: 'not_found', message: 'This deal has not been scored yet' } };
    return { status: 200, body: { dealId: deal.data, ...risk } };
  };
}

/**
 * Remembers webhook events already handled (HubSpot delivers at least once, retrying for up to a
 * day). The web app keeps them in the database (src/store/repos/webhook-events.ts), shared by
 * every web process and kept across restarts.
 */
export interface SeenEventStore {
  /** Marks event keys as seen; returns those not seen before. Atomic: one caller gets each key. */
  claim(eventKeys: string[]): Promise<string[]> | string[];
  /** Forgets keys whose handling failed, so HubSpot's retry is not dropped. */
  release?(eventKeys: string[]): Promise<void> | void;
}

export interface WebhookDeps extends SignedDeps {
  /**
   * Queue deals for a rescore within a minute: the worker reads those deals by id (fetchByIds),
   * scores and writes them back (src/sync/realtime.ts). `deleted` ones leave the pipeline;
   * `changed` ones were created, changed or restored from the recycle bin.
   */
  enqueueRescore(portalId: string, dealIds: string[], reason: 'changed' | 'deleted'): Promise<void>;
  seenEventIds: SeenEventStore;
  /** HUBSPOT_APP_ID: events for another app (a shared endpoint) are ignored. */
  appId?: string;
}

const WebhookEvent = z
  .object({
    eventId: z.union([z.number(), z.string()]).transform(String),
    portalId: z.union([z.number(), z.string()]).transform(String),
    subscriptionType: z.string(),
    objectId: z.union([z.number(), z.string()]).transform(String).optional(),
    objectTypeId: z.string().optional(),
    mergedObjectIds: z.array(z.union([z.number(), z.string()]).transform(String)).optional(),
    primaryObjectId: z.union([z.number(), z.string()]).transform(String).optional(),
    appId: z.union([z.number(), z.string()]).transform(String).optional(),
    occurredAt: z.union([z.number(), z.string()]).transform(Number).optional(),
  })
  .loose();
type WebhookEvent = z.infer<typeof WebhookEvent>;
const WebhookBatch = z.array(WebhookEvent).max(100);

/**
 * What a deal event means for our copy: the deal is gone, or it should be read again. Every
 * other subscription type is ignored. `restore` brings a deal back from the recycle bin.
 */
const DEAL_EVENTS: Record<string, 'changed' | 'deleted'> = {
  creation: 'changed',
  propertyChange: 'changed',
  associationChange: 'changed',
  restore: 'changed',
  deletion: 'deleted',
  privacyDeletion: 'deleted',
};

/** `deal.restore`, or the generic `object.restore` with the deals object type (0-3). */
function dealEventKind(e: WebhookEvent): string | null {
  const [object, kind] = e.subscriptionType.split('.', 2);
  if (object === 'deal' || (object === 'object' && e.objectTypeId === '0-3')) return kind ?? null;
  return null;
}

/**
 * HubSpot's eventId "is not guaranteed to be unique" (webhooks API reference), so an event is
 * known by everything a retry repeats: portal, id, type, object and time; attemptNumber is not.
 */
export const webhookEventKey = (e: WebhookEvent): string =>
  [e.portalId, e.eventId, e.subscriptionType, e.objectTypeId ?? '', e.objectId ?? e.primaryObjectId ?? '', e.occurredAt ?? ''].join(':');

/**
 * Per portal, the deals to read again and the deals gone. Deliveries are unordered and a batch
 * can hold a deletion and the restore that undid it: each deal ends in the state of its latest
 * event (by occurredAt; a deletion wins a tie).
 */
function dealStates(events: WebhookEvent[]): Map<string, { changed: string[]; deleted: string[] }> {
  const latest = new Map<string, { portal: string; id: string; state: 'changed' | 'deleted'; at: number }>();
  const note = (portal: string, id: string, state: 'changed' | 'deleted', at: number) => {
    const prev = latest.get(`${portal}:${id}`);
    if (!prev || at > prev.at || (at === prev.at && state === 'deleted')) latest.set(`${portal}:${id}`, { portal, id, state, at });
  };
  for (const e of events) {
    const kind = dealEventKind(e);
    const at = Number.isFinite(e.occurredAt) ? e.occurredAt! : 0;
    if (kind === 'merge') {
      for (const id of e.mergedObjectIds ?? []) if (id !== e.primaryObjectId) note(e.portalId, id, 'deleted', at);
      if (e.primaryObjectId) note(e.portalId, e.primaryObjectId, 'changed', at);
    } else if (kind && DEAL_EVENTS[kind] && e.objectId) note(e.portalId, e.objectId, DEAL_EVENTS[kind], at);
  }
  const queues = new Map<string, { changed: string[]; deleted: string[] }>();
  for (const v of latest.values()) {
    const q = queues.get(v.portal) ?? { changed: [], deleted: [] };
    queues.set(v.portal, q);
    q[v.state].push(v.id);
  }
  return queues;
}

/**
 * POST /integrations/hubspot/webhooks: signature checked, at most 100 events, duplicates
 * dropped (by webhookEventKey), deals queued for a rescore, answered at once (HubSpot times out at 5 s).
 */
export function webhookHandler(deps: WebhookDeps): (req: HandlerRequest) => Promise<HandlerResponse> {
  return async (req) => {
    const signed = checkSigned(req, deps);
    if ('status' in signed) return signed;
    let events: WebhookEvent[];
    try {
      const parsed = WebhookBatch.safeParse(JSON.parse(signed.body));
      if (!parsed.success)
        return { status: 400, body: { error: 'input_invalid', message: `webhook body: ${parsed.error.issues[0]?.message}` } };
      events = parsed.data;
    } catch {
      return { status: 400, body: { error: 'input_invalid', message: 'webhook body is not JSON' } };
    }
    const keys = new Map(events.map((e) => [e, webhookEventKey(e)]));
    const fresh = new Set(await deps.seenEventIds.claim([...new Set(keys.values())]));
    const queues = dealStates(events.filter((e) => fresh.has(keys.get(e)!) && !(deps.appId && e.appId && e.appId !== deps.appId)));
    try {
      for (const [portal, q] of queues) {
        if (q.changed.length) await deps.enqueueRescore(portal, q.changed, 'changed');
        if (q.deleted.length) await deps.enqueueRescore(portal, q.deleted, 'deleted');
      }
    } catch (e) {
      await deps.seenEventIds.release?.([...fresh]);
      throw e;
    }
    return { status: 204 };
  };
}
