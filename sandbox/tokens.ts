import { createHash, randomBytes } from 'node:crypto';

/** base64url(SHA-256(verifier)): the PKCE S256 challenge. */
export const s256 = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');
export const randomToken = (bytes = 24) => randomBytes(bytes).toString('base64url');

export interface AuthCode {
  clientId: string;
  redirectUri: string;
  scope: string;
  challenge: string | null;
  method: string | null;
  expiresAt: number;
  used: boolean;
}

export interface TokenFamily {
  id: number;
  clientId: string;
  scope: string;
  revoked: boolean;
  createdAt: number;
}

export interface AccessToken {
  family: number;
  issuedAt: number;
  expiresAt: number;
  /** Forced expiry (fault injection, admin endpoint). */
  expired: boolean;
}

export interface RefreshToken {
  family: number;
  state: 'active' | 'rotated' | 'revoked';
}

/**
 * Token bookkeeping shared by both CRMs: codes, token families (one per install), access and
 * refresh tokens. Rotation marks the old refresh token `rotated`; replaying it revokes the family.
 */
export class TokenStore {
  readonly codes = new Map<string, AuthCode>();
  readonly families = new Map<number, TokenFamily>();
  readonly access = new Map<string, AccessToken>();
  readonly refresh = new Map<string, RefreshToken>();
  private familySeq = 0;

  constructor(private readonly now: () => number) {}

  /** The token clock (wall time, or wall time plus sandbox advances; see tokenClock). */
  nowMs(): number {
    return this.now();
  }

  issueCode(c: Omit<AuthCode, 'expiresAt' | 'used'>, ttlMs = 15 * 60_000): string {
    const code = randomToken(32);
    this.codes.set(code, { ...c, expiresAt: this.now() + ttlMs, used: false });
    return code;
  }

  newFamily(clientId: string, scope: string): TokenFamily {
    const f = { id: ++this.familySeq, clientId, scope, revoked: false, createdAt: this.now() };
    this.families.set(f.id, f);
    return f;
  }

  issueAccess(family: number, ttlMs: number, token = randomToken(48)): string {
    const now = this.now();
    this.access.set(token, { family, issuedAt: now, expiresAt: now + ttlMs, expired: false });
    return token;
  }

  issueRefresh(family: number, token = randomToken(48)): string {
    this.refresh.set(token, { family, state: 'active' });
    return token;
  }

  /** The family of a live access token, or null (unknown, expired or revoked). */
  check(
    token: string | null,
  ): { family: TokenFamily; token: AccessToken } | { error: 'unknown' | 'expired' | 'revoked'; expiredForMs?: number } {
    if (!token) return { error: 'unknown' };
    const t = this.access.get(token);
    if (!t) return { error: 'unknown' };
    const family = this.families.get(t.family)!;
    if (family.revoked) return { error: 'revoked' };
    const now = this.now();
    if (t.expired || now >= t.expiresAt) return { error: 'expired', expiredForMs: Math.max(0, now - t.expiresAt) };
    return { family, token: t };
  }

  expire(token: string | null): void {
    const t = token ? this.access.get(token) : undefined;
    if (t) t.expired = true;
  }

  expireAll(): void {
    for (const t of this.access.values()) t.expired = true;
  }

  revokeFamily(id: number): void {
    const f = this.families.get(id);
    if (f) f.revoked = true;
    for (const r of this.refresh.values()) if (r.family === id) r.state = 'revoked';
  }

  revokeAll(): void {
    for (const f of this.families.values()) this.revokeFamily(f.id);
  }

  familyOf(token: string): number | null {
    return this.access.get(token)?.family ?? this.refresh.get(token)?.family ?? null;
  }
}
