import { createHash, randomBytes } from 'node:crypto';

/**
 * The one-time values of an OAuth authorization-code flow, for both CRMs and the web app's
 * /oauth routes: one implementation. The app stores the state's and the verifier's fate
 * (src/server/auth/oauth-routes.ts looks a returned state up by its hash).
 */

/** PKCE (RFC 7636): the verifier the app keeps, the challenge the authorize URL carries. */
export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
}

/** RFC 7636 S256: base64url(SHA-256(verifier)). */
export const pkceChallenge = (codeVerifier: string): string => createHash('sha256').update(codeVerifier).digest('base64url');

/** A fresh verifier, 48 random bytes as 64 base64url characters (RFC 7636 allows 43-128), and its S256 challenge. */
export function createPkcePair(random: (n: number) => Buffer = randomBytes): PkcePair {
  const codeVerifier = random(48).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier) };
}

/** A fresh opaque `state`, 32 random bytes in base64url. */
export const createState = (random: (n: number) => Buffer = randomBytes): string => random(32).toString('base64url');
