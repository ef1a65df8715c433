import { isAppError } from '../../src/core/errors.ts';
import type { ConnectorLogger } from '../types.ts';
import type { HubSpotApi } from './api.ts';

/** Owners a page: the spec's default; its maximum is undocumented, so the default is all we ask for. */
const OWNERS_PAGE = 100;

/** What the mapping sees under `_derived.owner`. */
export interface OwnerInfo {
  id: string;
  /** "First Last", or the email when the user has no name. */
  name: string | null;
  email: string | null;
}

interface RawOwner {
  id: string;
  email?: string | null;
  firstName?: string | null;
  lastName?: string | null;
}

export function ownerInfo(o: RawOwner): OwnerInfo {
  const name = [o.firstName, o.lastName]
    .map((s) => s?.trim())
    .filter(Boolean)
    .join(' ');
  return { id: String(o.id), name: name || o.email || null, email: o.email ?? null };
}

/**
 * Deal owners by id (`hubspot_owner_id`), read from GET /crm/v3/owners (100 a page) once per run, when a
 * page of deals first needs them (a quiet hour reads none). Deactivated users own deals too:
 * archived owners are read once, the first time an id is not among the active ones. Without the
 * owners scope (an install older than it) names stay unknown and the sync goes on.
 */
export class OwnerDirectory {
  private active: Promise<Map<string, OwnerInfo>> | null = null;
  private archived: Promise<Map<string, OwnerInfo>> | null = null;
  private denied = false;

  constructor(
    private readonly api: HubSpotApi,
    private readonly log: ConnectorLogger,
  ) {}

  /** Owners by id, active ones and, once an id is not among them, archived ones too. */
  async lookup(ids: Iterable<string>): Promise<Map<string, OwnerInfo>> {
    if (this.denied) return new Map();
    try {
      this.active ??= this.read(false, 'active');
      const active = await this.active;
      if (!this.archived && [...ids].every((id) => active.has(id))) return active;
      this.archived ??= this.read(true, 'archived');
      const archived = await this.archived;
      return new Map([...archived, ...active]);
    } catch (e) {
      if (!isAppError(e) || e.code !== 'crm_permission_denied') throw e;
      this.denied = true;
      this.log.warn('hubspot owners not readable: deals keep owner ids without names', { reason: e.message });
      return new Map();
    }
  }

  /** One read of a list, shared by concurrent callers; forgotten when it fails, so a later page asks again. */
  private read(archived: boolean, which: 'active' | 'archived'): Promise<Map<string, OwnerInfo>> {
    const p = this.readAll(archived);
    p.catch(() => {
      if (which === 'active' && this.active === p) this.active = null;
      if (which === 'archived' && this.archived === p) this.archived = null;
    });
    return p;
  }

  private async readAll(archived: boolean): Promise<Map<string, OwnerInfo>> {
    const out = new Map<string, OwnerInfo>();
    let after: string | undefined;
    do {
      const r = await this.api.call(
        { budget: 'standard', op: archived ? 'read archived owners' : 'read owners', idempotent: true },
        async (c) => {
          const h = await c.crm.owners.ownersApi.getPageWithHttpInfo(undefined, after, OWNERS_PAGE, archived);
          return { status: h.httpStatusCode, headers: h.headers, data: h.data };
        },
      );
      for (const o of r.data.results) out.set(String(o.id), ownerInfo(o));
      after = r.data.paging?.next?.after;
    } while (after);
    return out;
  }
}
