import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ActiveFault, FaultTable } from '../faults.ts';
import type { CallLogEntry, Crm, Handler, SbRequest, SbResponse } from './types.ts';

/** One CRM behind a path prefix. */
export interface Mount {
  crm: Crm;
  handle: Handler;
  /** The CRM's own error response for a fault rule with a status (or policy). */
  faultResponse(fault: ActiveFault, req: SbRequest): SbResponse;
  /** Token faults act on the caller's token before the request is handled. */
  expireToken(req: SbRequest): void;
  revokeToken(req: SbRequest): void;
}

export interface ServerOptions {
  host: string;
  port: number;
  mounts: Record<Crm, Mount>;
  admin: Handler;
  landing: Handler;
  faults: FaultTable;
  sandboxNow: () => number;
  onCall: (entry: CallLogEntry) => void;
}

const MAX_BODY = 64 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (!raw) return undefined;
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(raw));
  if (ct.includes('json') || /^\s*[[{]/.test(raw)) {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      return Symbol.for('sandbox.invalid-json');
    }
  }
  return undefined;
}

/** Sentinel body for a request whose JSON did not parse (handlers answer with the CRM's parse error). */
export const INVALID_JSON = Symbol.for('sandbox.invalid-json');

function route(pathname: string): { target: Crm | 'admin' | 'landing' | null; path: string } {
  if (pathname.startsWith('/_sandbox')) return { target: 'admin', path: pathname.slice('/_sandbox'.length) || '/' };
  if (pathname === '/sf' || pathname.startsWith('/sf/')) return { target: 'sf', path: pathname.slice(3) || '/' };
  if (pathname === '/hs' || pathname.startsWith('/hs/')) return { target: 'hs', path: pathname.slice(3) || '/' };
  // jsforce's Bulk API 2.0 client resolves its URLs against the host root (new URL(relative, instanceUrl)),
  // dropping the /sf prefix: Salesforce paths are answered unprefixed too.
  if (pathname.startsWith('/services/') || pathname.startsWith('/id/')) return { target: 'sf', path: pathname };
  if (pathname === '/' || pathname === '') return { target: 'landing', path: '/' };
  return { target: null, path: pathname };
}

/**
 * `now`: the sandbox clock. The `Date` header tells the time on the CRM's clock, as the real APIs'
 * headers do; a client comparing it with the record stamps (SystemModstamp) must see one clock.
 */
function write(res: ServerResponse, out: SbResponse, now: number): void {
  const headers: Record<string, string> = { Date: new Date(now).toUTCString(), ...(out.headers ?? {}) };
  let payload = '';
  if (out.status !== 204 && out.status !== 304) {
    if (out.text !== undefined) {
      payload = out.text;
      headers['Content-Type'] ??= out.contentType ?? 'text/plain;charset=UTF-8';
    } else if (out.body !== undefined) {
      payload = JSON.stringify(out.body);
      headers['Content-Type'] ??= out.contentType ?? 'application/json;charset=UTF-8';
    }
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload));
  res.writeHead(out.status, headers);
  res.end(payload);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startHttpServer(opts: ServerOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  let seq = 0;
  // Salesforce refuses a request whose URI and headers pass 16,384 bytes with 431 (KB 000386264,
  // docs/crm-limits.md); Node answers 431 past maxHeaderSize, which counts the request line too.
  const server = createServer({ maxHeaderSize: 16_384 }, (req, res) => {
    void (async () => {
      const startedAt = Date.now();
      const sandboxAt = opts.sandboxNow();
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const { target, path } = route(url.pathname);
      const rawBody = await readBody(req);
      const sbReq: SbRequest = {
        method: (req.method ?? 'GET').toUpperCase(),
        path,
        query: url.searchParams,
        headers: req.headers,
        rawBody,
        body: parseBody(rawBody, req.headers['content-type']),
        baseUrl: baseUrl(),
      };
      const fired: number[] = [];
      let out: SbResponse;
      try {
        out = await dispatch(target, sbReq, fired);
      } catch (e) {
        out = { status: 500, body: { error: 'sandbox_internal', message: e instanceof Error ? e.message : String(e) } };
      }
      opts.onCall({
        seq: ++seq,
        crm: target === 'sf' || target === 'hs' ? target : 'admin',
        method: sbReq.method,
        path,
        query: url.search,
        status: out.reset ? 0 : out.status,
        at: startedAt,
        sandboxAt,
        durationMs: Date.now() - startedAt,
        faults: fired,
      });
      if (out.reset) {
        req.socket.destroy();
        return;
      }
      write(res, out, opts.sandboxNow());
    })().catch(() => res.destroy());
  });

  async function dispatch(target: ReturnType<typeof route>['target'], req: SbRequest, fired: number[]): Promise<SbResponse> {
    if (target === 'admin') return opts.admin(req);
    if (target === 'landing') return opts.landing(req);
    if (target === null) return { status: 404, text: `sandbox: no such path ${req.path}` };
    const mount = opts.mounts[target];
    for (const f of opts.faults.take({ crm: target, method: req.method, path: req.path })) {
      fired.push(f.id);
      if (f.rule.latencyMs) await sleep(f.rule.latencyMs);
      if (f.rule.reset) return { status: 0, reset: true };
      if (f.rule.expireToken) mount.expireToken(req);
      if (f.rule.revokeToken) mount.revokeToken(req);
      if (f.rule.status !== undefined || f.rule.policy !== undefined || f.rule.body !== undefined) return mount.faultResponse(f, req);
    }
    return mount.handle(req);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const baseUrl = () => `http://${host}:${addr.port}`;
  return {
    server,
    url: baseUrl(),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
