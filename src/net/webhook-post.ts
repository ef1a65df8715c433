import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress, PrivateHostAllowList } from './public-address.ts';

/**
 * Posting JSON to a URL a tenant admin chose (a Slack incoming webhook) without letting that URL
 * reach inside our network: https only, to public addresses, checked after DNS resolution and
 * connected to the very address checked (a second lookup could answer differently: DNS
 * rebinding), redirects never followed.
 */

export type Resolve = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

/** The system resolver (what the socket would have asked). */
export const systemResolve: Resolve = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** A webhook destination refused before anything was sent; the message says why, for the admin. */
export class DestinationRefused extends Error {
  override readonly name = 'DestinationRefused';
}

const hostOf = (u: URL): string => u.hostname.replace(/^\[|\]$/g, '');

/**
 * What the URL alone shows to be wrong, or null. Settings are checked with this when saved; the
 * addresses a host name resolves to are checked again at each send (`resolveDestination`).
 */
export function webhookUrlProblem(raw: string, allow: PrivateHostAllowList = new PrivateHostAllowList()): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an https URL';
  if (u.username || u.password) return 'must not carry a user name or password';
  const host = hostOf(u);
  if (allow.has(host)) return null;
  if (u.protocol === 'http:' && (allow.empty || isIP(host))) return 'must be an https URL';
  if (isIP(host) && !isPublicAddress(host)) return `points at ${host}, which is not a public internet address`;
  if (host === 'localhost' || host.endsWith('.localhost')) return `points at ${host}, which is not a public internet address`;
  return null;
}

export interface Destination {
  url: URL;
  /** The address checked, and the one connected to. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves and checks where a webhook URL leads. Every address the host resolves to must be
 * public (one private answer is enough to refuse: the socket could pick it), unless the
 * deployment allow-lists the host or each of its addresses (tests and demos only).
 */
export async function resolveDestination(raw: string, allow: PrivateHostAllowList, resolve: Resolve = systemResolve): Promise<Destination> {
  const problem = webhookUrlProblem(raw, allow);
  if (problem) throw new DestinationRefused(`webhook URL ${problem}`);
  const url = new URL(raw);
  const host = hostOf(url);
  let addresses: Array<{ address: string; family: number }>;
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new DestinationRefused(`webhook host ${host} could not be resolved: ${e instanceof Error ? e.message : String(e)}`, {
        cause: e,
      });
    }
  }
  if (addresses.length === 0) throw new DestinationRefused(`webhook host ${host} has no address`);
  const allowed = allow.has(host) || addresses.every((a) => allow.has(a.address));
  if (!allowed) {
    if (url.protocol !== 'https:') throw new DestinationRefused('webhook URL must be an https URL');
    const bad = addresses.find((a) => !isPublicAddress(a.address) && !allow.has(a.address));
    if (bad) throw new DestinationRefused(`webhook host ${host} resolves to ${bad.address}, which is not a public internet address`);
  }
  const first = addresses[0]!;
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

/** Connects to the checked address whatever the socket asks (Node may ask for all addresses). */
function pinned(d: Destination): LookupFunction {
  return ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => {
    if (opts?.all) cb(null, [{ address: d.address, family: d.family }]);
    else cb(null, d.address, d.family);
  }) as unknown as LookupFunction;
}

/**
 * POSTs a JSON body to a checked destination. Answers other than 2xx (redirects included: they
 * are never followed) reject with the status and the start of the body.
 */
export function postJson(d: Destination, body: unknown, timeoutMs: number): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  const client = d.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      d.url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(payload.length) },
        lookup: pinned(d),
        signal: AbortSignal.timeout(timeoutMs),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (text.length < 2000) text += c;
        });
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve({ status, text });
          const note = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
          reject(new Error(`answered ${status}${note}: ${text.slice(0, 200)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
