import type { IncomingHttpHeaders } from 'node:http';

export type Crm = 'sf' | 'hs';

/** A request as the CRM handlers see it: CRM-relative path, parsed body. */
export interface SbRequest {
  method: string;
  /** Path relative to the CRM's mount (`/services/data/v66.0/query`), without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** JSON or form body when the content type says so; undefined otherwise. */
  body: unknown;
  /** The sandbox's own base URL (`http://127.0.0.1:port`). */
  baseUrl: string;
}

export interface SbResponse {
  status: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is set. */
  body?: unknown;
  text?: string;
  contentType?: string;
  /** Drop the connection without answering. */
  reset?: boolean;
}

export type Handler = (req: SbRequest) => Promise<SbResponse> | SbResponse;

export const json = (status: number, body: unknown, headers?: Record<string, string>): SbResponse => ({ status, body, headers });

export function bearer(req: SbRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string' && /^Bearer\s+/i.test(h)) return h.replace(/^Bearer\s+/i, '').trim();
  return null;
}

/** One entry of the call log: what was asked, what was answered. */
export interface CallLogEntry {
  seq: number;
  crm: Crm | 'admin';
  method: string;
  path: string;
  query: string;
  status: number;
  /** Wall-clock ms when the request arrived. */
  at: number;
  /** The sandbox clock when the request arrived. */
  sandboxAt: number;
  durationMs: number;
  /** Fault rule ids that affected this request. */
  faults: number[];
}
