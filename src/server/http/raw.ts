import type { RequestHandler } from 'express';
import type { RawHandler } from '../deps.ts';

/** Adapts a framework-neutral handler (HubSpot card data, webhooks) to express over the raw body. */
export function rawRoute(handler: RawHandler, appUrl: string): RequestHandler {
  return async (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const out = await handler({ method: req.method, url: `${appUrl.replace(/\/$/, '')}${req.originalUrl}`, headers: req.headers, body });
    for (const [k, v] of Object.entries(out.headers ?? {})) res.setHeader(k, v);
    res.status(out.status);
    if (out.body === undefined) res.end();
    else if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) res.send(out.body);
    else res.json(out.body);
  };
}
