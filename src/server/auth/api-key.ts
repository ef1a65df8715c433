import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../core/errors.ts';
import type { Store } from '../../store/index.ts';
import type { ApiKey, ApiKeyRole } from '../../store/repos/api-keys.ts';
import type { RateLimiter } from '../http/rate-limit.ts';
import type { Principal } from './principal.ts';
import { randomToken, sha256 } from './tokens.ts';

const KEY_RE = /^drk_[A-Za-z0-9_-]{40}$/;

/** A new key: the secret (shown once) and what is stored (its hash and a display prefix). */
export function generateApiKey(): { secret: string; prefix: string; secretHash: string } {
  const secret = `drk_${randomToken(30)}`;
  return { secret, prefix: secret.slice(0, 12), secretHash: sha256(secret) };
}

export async function createApiKey(
  store: Store,
  tenantId: string,
  input: { name: string; role: ApiKeyRole; ratePerMinute: number; createdBy: string },
  now: Date,
): Promise<{ key: ApiKey; secret: string }> {
  const g = generateApiKey();
  const key = await store.apiKeys.create({
    id: randomUUID(),
    tenantId,
    name: input.name,
    prefix: g.prefix,
    secretHash: g.secretHash,
    role: input.role,
    ratePerMinute: input.ratePerMinute,
    createdBy: input.createdBy,
    createdAt: now,
  });
  return { key, secret: g.secret };
}

export const keyLabel = (k: Pick<ApiKey, 'name' | 'prefix'>): string => `key ${k.name} (${k.prefix}…)`;

/** The key a request carries: `Authorization: Bearer drk_…` or `X-API-Key: drk_…`. */
export function presentedKey(authorization: string | undefined, xApiKey: string | undefined): string | null {
  const bearer = authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer ?? xApiKey?.trim() ?? null;
}

/**
 * Authenticates API keys. A wrong key is 401; repeated wrong keys from one address are slowed
 * down (429) so keys cannot be guessed online. Known keys are cached briefly by hash so a hot
 * key costs no query per request; revocation takes effect within `cacheMs`.
 */
export function apiKeyMiddleware(
  store: Store,
  limiter: RateLimiter,
  opts: { failuresPerMinute: number; cacheMs: number },
): RequestHandler & { invalidate(): void } {
  const cache = new Map<string, { key: ApiKey | null; until: number }>();
  const handler: RequestHandler = async (req, res, next) => {
    try {
      const presented = presentedKey(req.get('authorization'), req.get('x-api-key'));
      if (!presented) return next();
      // Wall time, not the app clock: the cache is about freshness, not about business dates.
      const t = Date.now();
      const hash = KEY_RE.test(presented) ? sha256(presented) : null;
      let hit = hash ? cache.get(hash) : undefined;
      if (hash && (!hit || hit.until < t)) {
        hit = { key: await store.apiKeys.findActiveByHash(hash), until: t + opts.cacheMs };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      const key = hit?.key ?? null;
      if (!key) {
        const slow = limiter.take(`keyfail:${req.ip}`, opts.failuresPerMinute);
        if (!slow.ok)
          throw new AppError('rate_limited', 'too many invalid API keys from this address', { retryAfterMs: slow.retryAfterMs });
        throw new AppError('unauthorized', 'the API key is not valid (revoked, mistyped, or never existed)');
      }
      const p: Principal = {
        kind: 'api_key',
        id: key.id,
        tenantId: key.tenantId,
        role: key.role === 'admin' ? 'admin' : 'viewer',
        label: keyLabel(key),
        ratePerMinute: key.ratePerMinute,
      };
      res.locals.principal = p;
      next();
    } catch (e) {
      next(e);
    }
  };
  // Revoking in this process takes effect at once; other web processes follow within cacheMs.
  return Object.assign(handler, { invalidate: () => cache.clear() });
}
