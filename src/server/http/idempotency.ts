import type { RequestHandler } from 'express';
import { stableJson } from '../../core/deal-hash.ts';
import { AppError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import type { Principal } from '../auth/principal.ts';
import { sha256 } from '../auth/tokens.ts';

/**
 * Idempotency-Key on POST: the first request's status and body are stored and replayed to any
 * retry with the same key (per caller, 24 h), so a client that lost a response can retry safely.
 * The same key with a different request is refused; a retry while the first is still running
 * gets 409. Server errors free the key so the retry does the work for real.
 */
export function idempotency(store: Store, now: () => Date): RequestHandler {
  return async (req, res, next) => {
    try {
      const key = req.get('idempotency-key');
      if (req.method !== 'POST' || key === undefined) return next();
      if (key.length < 1 || key.length > 255) throw new AppError('input_invalid', 'Idempotency-Key must be 1 to 255 characters');
      const p = res.locals.principal as Principal | undefined;
      if (!p) return next();
      const principal = `${p.kind}:${p.id}`;
      const requestHash = sha256(`${req.method} ${req.path}\n${stableJson(req.body ?? null)}`);
      const prior = await store.idempotency.claim(p.tenantId, principal, key, { method: req.method, path: req.path, requestHash }, now());
      if (prior) {
        if (prior.requestHash !== requestHash) {
          throw new AppError('input_invalid', 'this Idempotency-Key was already used for a different request; use a new key');
        }
        if (prior.state !== 'done')
          throw new AppError('conflict', 'a request with this Idempotency-Key is still being processed; retry shortly');
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(prior.statusCode ?? 200).json(prior.response);
        return;
      }
      const json = res.json.bind(res);
      let body: unknown;
      res.json = (b: unknown) => {
        body = b;
        return json(b);
      };
      res.on('finish', () => {
        const done =
          res.statusCode >= 500
            ? store.idempotency.release(p.tenantId, principal, key)
            : store.idempotency.complete(p.tenantId, principal, key, res.statusCode, body);
        done.catch(() => undefined);
      });
      next();
    } catch (e) {
      next(e);
    }
  };
}
