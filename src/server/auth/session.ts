import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { Store } from '../../store/index.ts';
import type { User } from '../../store/repos/users.ts';
import type { Principal } from './principal.ts';
import { parseCookies, randomToken, sha256, signValue, unsignValue } from './tokens.ts';

export interface SessionConfig {
  secret: string;
  /** Secure cookies (production: https only, `__Host-` prefix). */
  secure: boolean;
  ttlMs: number;
}

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

export const sessionCookieName = (c: SessionConfig): string => (c.secure ? '__Host-dr_session' : 'dr_session');

const cookieOptions = (c: SessionConfig, maxAge: number): CookieOptions => ({
  httpOnly: true,
  // Lax, not Strict: the OAuth callback and links from the CRM are top-level navigations from
  // another site and must arrive signed in. Forms are protected by CSRF tokens regardless.
  sameSite: 'lax',
  secure: c.secure,
  path: '/',
  maxAge,
});

export const userLabel = (u: Pick<User, 'name' | 'email' | 'crmUserId'>): string =>
  u.name && u.email ? `${u.name} <${u.email}>` : (u.name ?? u.email ?? `user ${u.crmUserId}`);

/** Starts a session for a user: a random token in a signed cookie, its hash in the store. */
export async function startSession(store: Store, c: SessionConfig, res: Response, user: User, now: Date): Promise<void> {
  const token = randomToken();
  await store.sessions.create({
    idHash: sha256(token),
    tenantId: user.tenantId,
    userId: user.id,
    csrfToken: randomToken(24),
    createdAt: now,
    expiresAt: new Date(now.getTime() + c.ttlMs),
  });
  res.cookie(sessionCookieName(c), signValue(c.secret, token), cookieOptions(c, c.ttlMs));
}

/** Ends the browser's session; `clearCookie` false when a new session replaces it at once. */
export async function endSession(store: Store, c: SessionConfig, req: Request, res: Response, clearCookie = true): Promise<void> {
  const token = readToken(c, req);
  if (token) await store.sessions.remove(sha256(token));
  if (clearCookie) res.clearCookie(sessionCookieName(c), { ...cookieOptions(c, 0), maxAge: undefined });
}

function readToken(c: SessionConfig, req: Request): string | null {
  const v = parseCookies(req.headers.cookie)[sessionCookieName(c)];
  return v ? unsignValue(c.secret, v) : null;
}

/** Loads the signed-in user (if any) into res.locals.principal; never fails a request. */
export function sessionMiddleware(store: Store, c: SessionConfig, now: () => Date, ratePerMinute: number): RequestHandler {
  return async (req, res, next) => {
    try {
      const token = readToken(c, req);
      if (!token) return next();
      const session = await store.sessions.find(sha256(token), now());
      if (!session) return next();
      const user = await store.users.get(session.tenantId, session.userId);
      if (!user) return next();
      const p: Principal = {
        kind: 'user',
        id: user.id,
        tenantId: user.tenantId,
        role: user.role,
        label: userLabel(user),
        csrfToken: session.csrfToken,
        user,
        ratePerMinute,
      };
      res.locals.principal = p;
      next();
    } catch (e) {
      next(e);
    }
  };
}
