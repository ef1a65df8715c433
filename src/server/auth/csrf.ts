import type { RequestHandler } from 'express';
import { AppError } from '../../core/errors.ts';
import { principalOf } from './principal.ts';
import { safeEqual } from './tokens.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchronizer-token CSRF check for cookie-authenticated requests: every form carries `_csrf`,
 * scripts send `X-CSRF-Token`. API keys are not sent by browsers on their own, so key calls
 * need no token.
 */
export const csrfProtection: RequestHandler = (req, res, next) => {
  if (SAFE.has(req.method)) return next();
  const p = principalOf(res);
  if (p?.kind !== 'user') return next();
  const body = req.body as Record<string, unknown> | undefined;
  const sent = (typeof body?._csrf === 'string' ? body._csrf : undefined) ?? req.get('x-csrf-token');
  if (!sent || !p.csrfToken || !safeEqual(sent, p.csrfToken)) {
    return next(new AppError('forbidden', 'the form expired or did not come from this site; reload the page and try again'));
  }
  next();
};
