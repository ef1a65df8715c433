import type { RequestHandler } from 'express';
import { isApiRequest } from './errors.ts';

/** Machine endpoints: API calls, HubSpot's card and webhook calls, health probes. Never redirected. */
const isMachineRequest = (path: string): boolean =>
  isApiRequest(path) || path.startsWith('/integrations/') || path === '/healthz' || path === '/readyz';

/**
 * Development only: a page asked for under another host name than APP_URL's (`localhost:3000`
 * when the app says `127.0.0.1:3000`) is redirected to the same path on APP_URL. The session and
 * sign-in cookies are set for APP_URL's host; a sign-in begun under another name would end on
 * "Wrong browser" when the CRM sends the browser back to APP_URL without them.
 */
export function appHostRedirect(appUrl: string): RequestHandler {
  const app = new URL(appUrl);
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isMachineRequest(req.path)) return next();
    const host = req.host?.toLowerCase();
    // An absolute request target (a proxy's form) is left alone: only a path is appended to APP_URL.
    if (!host || host === app.host || !req.originalUrl.startsWith('/')) return next();
    // Appended to the origin, never resolved against it: `//other.host/x` stays on APP_URL's host.
    res.redirect(302, `${app.origin}${req.originalUrl}`);
  };
}
