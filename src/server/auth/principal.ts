import type { Response } from 'express';
import { AppError } from '../../core/errors.ts';
import type { Role, User } from '../../store/repos/users.ts';

/** Who is calling: a signed-in person (session) or an API key, always inside one tenant. */
export interface Principal {
  kind: 'user' | 'api_key';
  /** User id or API key id. */
  id: string;
  tenantId: string;
  role: Role;
  /** For the audit log: "Ada Admin <ada@example.com>" or "key ci-export (drk_AbC1…)". */
  label: string;
  /** Sessions only: the token every form must echo back. */
  csrfToken?: string;
  user?: User;
  ratePerMinute: number;
}

export const principalOf = (res: Response): Principal | undefined => res.locals.principal as Principal | undefined;

/** The caller, or 401. */
export function requirePrincipal(res: Response): Principal {
  const p = principalOf(res);
  if (!p) throw new AppError('unauthorized', 'sign in, or send an API key as "Authorization: Bearer <key>"');
  return p;
}

/** The caller when they may do admin things, else 403 (viewers and read-only keys). */
export function requireAdmin(res: Response): Principal {
  const p = requirePrincipal(res);
  if (p.role !== 'admin') {
    throw new AppError('forbidden', p.kind === 'api_key' ? 'this API key is read-only' : 'only an admin of this workspace can do that');
  }
  return p;
}
