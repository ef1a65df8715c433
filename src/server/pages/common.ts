import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { AppError } from '../../core/errors.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import type { SafeHtml } from '../http/html.ts';
import { type PageOptions, page } from './layout.ts';

export interface PageRequest {
  req: Request;
  res: Response;
  p: Principal;
  tenantName: string;
}

/**
 * A page for signed-in people: without a session the browser goes to sign-in (then back here);
 * API keys do not open pages. Handlers return the page body; the shell is added here.
 */
export function pageRoute(
  s: ServerContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: a handler that redirects or sends its own answer returns nothing.
  handler: (r: PageRequest) => Promise<{ title: string; body: SafeHtml; charts?: boolean; active?: string; status?: number } | void>,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const p = res.locals.principal as Principal | undefined;
      if (p?.kind !== 'user') {
        if (req.method === 'GET') return res.redirect(303, `/signin?next=${encodeURIComponent(req.originalUrl)}`);
        throw new AppError('unauthorized', 'your session has ended; sign in again');
      }
      const tenant = await s.app.store.tenants.get(p.tenantId);
      const out = await handler({ req, res, p, tenantName: tenant?.name ?? p.tenantId });
      if (!out || res.headersSent) return;
      const flash = readFlash(req);
      const opts: PageOptions = {
        title: out.title,
        principal: p,
        tenantName: tenant?.name ?? p.tenantId,
        sandbox: s.deps.sandbox,
        active: out.active,
        charts: out.charts,
        flash,
      };
      res
        .status(out.status ?? 200)
        .type('html')
        .send(page(opts, out.body));
    } catch (e) {
      next(e);
    }
  };
}

/** Post/redirect/get: a short message travels in the query string of the redirect. */
export function redirectWith(res: Response, to: string, kind: 'ok' | 'error', text: string): void {
  const [pathAndQuery, hash] = to.split('#');
  const sep = pathAndQuery!.includes('?') ? '&' : '?';
  res.redirect(
    303,
    `${pathAndQuery}${sep}${kind === 'ok' ? 'done' : 'failed'}=${encodeURIComponent(text.slice(0, 300))}${hash ? `#${hash}` : ''}`,
  );
}

function readFlash(req: Request): PageOptions['flash'] {
  const done = typeof req.query.done === 'string' ? req.query.done : null;
  const failed = typeof req.query.failed === 'string' ? req.query.failed : null;
  if (failed) return { kind: 'error', text: failed };
  if (done) return { kind: 'ok', text: done };
  return null;
}

/** Admins only, for page actions (viewers get 403). */
export function assertAdmin(p: Principal): void {
  if (p.role !== 'admin') throw new AppError('forbidden', 'only an admin of this workspace can do that');
}

/** A single query-string value (arrays keep the first). */
export const q1 = (v: unknown): string | undefined => (Array.isArray(v) ? q1(v[0]) : typeof v === 'string' && v !== '' ? v : undefined);

/** Runs a service call for a page; a missing model or data becomes a message instead of an error page. */
export async function attempt<T>(f: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; message: string }> {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    if (e instanceof AppError && e.code !== 'internal') return { ok: false, message: e.message };
    throw e;
  }
}
