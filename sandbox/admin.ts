import type { SandboxClock } from './clock.ts';
import type { FaultTable } from './faults.ts';
import { type CallLogEntry, json, type SbRequest, type SbResponse } from './http/types.ts';
import type { TruthRow } from './truth.ts';
import { landingPage } from './ui.ts';

type Crm = 'salesforce' | 'hubspot';

export interface AdminDeps {
  clock: SandboxClock;
  faults: FaultTable;
  tokens: { expireAll(crm?: Crm): void; revokeAll(crm?: Crm): void };
  model: { ceilingAuc(crm: Crm): unknown; truth(crm: Crm): TruthRow[] };
  calls: CallLogEntry[];
  seed: number;
  deals: number;
  setSearchCap(n: number): void;
  issue(crm: Crm): unknown;
  info(): unknown;
}

const crmOf = (v: unknown): Crm | undefined => (v === 'salesforce' || v === 'hubspot' ? v : undefined);

/**
 * Admin endpoints under /_sandbox (loopback only, no auth): state, clock, faults, tokens, the
 * call log and the generating model's truth. Errors name what was wrong.
 */
export function adminHandler(req: SbRequest, d: AdminDeps): SbResponse {
  const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
  const bad = (message: string) => json(400, { error: 'bad_request', message });
  const p = req.path.replace(/\/+$/, '') || '/';
  const m = req.method;
  try {
    if (p === '/' && m === 'GET') return json(200, d.info());
    if (p === '/advance' && m === 'POST') {
      const keys = ['ms', 'seconds', 'minutes', 'hours', 'days'];
      if (!keys.some((k) => typeof body[k] === 'number')) return bad(`give one of ${keys.join(', ')} as a number, e.g. {"hours": 1}`);
      return json(200, { now: new Date(d.clock.advance(body as Record<string, number>)).toISOString() });
    }
    if (p === '/pace' && m === 'POST') {
      if (typeof body.pace !== 'number' || body.pace < 0) return bad('pace must be a number >= 0 (sandbox ms per real ms)');
      d.clock.setPace(body.pace);
      return json(200, { pace: d.clock.currentPace, now: new Date(d.clock.now()).toISOString() });
    }
    if (p === '/faults') {
      if (m === 'GET') return json(200, { faults: d.faults.list() });
      if (m === 'DELETE') {
        d.faults.clear();
        return { status: 204 };
      }
      if (m === 'POST') {
        const rules = Array.isArray(body.rules) ? body.rules : [body];
        return json(201, { ids: rules.map((r) => d.faults.add(r as Parameters<FaultTable['add']>[0])) });
      }
    }
    const faultId = /^\/faults\/(\d+)$/.exec(p);
    if (faultId && m === 'DELETE') {
      d.faults.remove(Number(faultId[1]));
      return { status: 204 };
    }
    if ((p === '/tokens/expire' || p === '/tokens/revoke') && m === 'POST') {
      const crm = crmOf(body.crm);
      if (p.endsWith('expire')) d.tokens.expireAll(crm);
      else d.tokens.revokeAll(crm);
      return { status: 204 };
    }
    if (p === '/tokens/issue' && m === 'POST') {
      const crm = crmOf(body.crm);
      if (!crm) return bad('crm must be salesforce or hubspot');
      return json(201, d.issue(crm));
    }
    if (p === '/search-cap' && m === 'POST') {
      if (typeof body.cap !== 'number' || body.cap < 1) return bad('cap must be a positive number');
      d.setSearchCap(body.cap);
      return json(200, { cap: body.cap });
    }
    if (p === '/calls' && m === 'GET') {
      const since = Number(req.query.get('since') ?? 0);
      return json(200, { calls: d.calls.filter((c) => c.seq > since && c.crm !== 'admin') });
    }
    if (p === '/model' && m === 'GET')
      return json(200, { salesforce: d.model.ceilingAuc('salesforce'), hubspot: d.model.ceilingAuc('hubspot') });
    if (p === '/truth' && m === 'GET') {
      const crm = crmOf(req.query.get('crm'));
      if (!crm) return bad('crm must be salesforce or hubspot');
      const limit = Number(req.query.get('limit') ?? 1000);
      return json(200, { truth: d.model.truth(crm).slice(0, limit) });
    }
  } catch (e) {
    return bad(e instanceof Error ? e.message : String(e));
  }
  return json(404, { error: 'not_found', message: `no admin endpoint ${m} /_sandbox${p}` });
}

export function landingHandler(o: { url: string; now: Date; crms: string[]; deals: number; seed: number }): SbResponse {
  return landingPage(o);
}
