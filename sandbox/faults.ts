import { z } from 'zod';
import { createRng, type Rng } from './random.ts';

export type CrmKey = 'sf' | 'hs';

/**
 * A fault, declared as data. `on` selects requests: an optional HTTP method (or `*`), an
 * optional CRM (`sf`/`salesforce`, `hs`/`hubspot`), then a path fragment matched against the
 * CRM-relative path (`*` wildcards allowed; empty or `*` = any path). Examples:
 * `PATCH composite/sobjects`, `POST hs search`, `GET sf query`, `hs *`, `POST oauth2/token`.
 */
export const FaultRule = z
  .object({
    on: z.string().min(1),
    /** Answer with this status; the body is the CRM's own error shape for it unless `body` is given. */
    status: z.number().int().min(100).max(599).optional(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Salesforce errorCode / HubSpot category (or OAuth `error`) for the generated body. */
    errorCode: z.string().optional(),
    message: z.string().optional(),
    /** HubSpot 429 policy; implies status 429. */
    policy: z.enum(['TEN_SECONDLY_ROLLING', 'SECONDLY', 'DAILY']).optional(),
    /** Delay before answering (alone: the request still succeeds, slowly). */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** Drop the connection without an answer (ECONNRESET at the client). */
    reset: z.boolean().optional(),
    /** The caller's access token expires now: 401 as the CRM sends it. */
    expireToken: z.boolean().optional(),
    /** The caller's whole token family is revoked: 401 now, invalid_grant on refresh. */
    revokeToken: z.boolean().optional(),
    /** Per-record rejections inside batch writes (sObject Collections, HubSpot batch update/create). */
    rejectRecords: z
      .object({
        ids: z.array(z.string()).optional(),
        /** Reject every n-th record of each batch (1-based positions n, 2n, ...). */
        every: z.number().int().min(1).optional(),
        statusCode: z.string().optional(),
        message: z.string().optional(),
        fields: z.array(z.string()).optional(),
      })
      .strict()
      .optional(),
    /** Matching requests it affects; unlimited when absent. */
    times: z.number().int().min(1).optional(),
    /** Matching requests to let through before it starts. */
    after: z.number().int().min(0).optional(),
    /** Chance (0..1, from the sandbox seed) that a matching request is affected. */
    probability: z.number().min(0).max(1).optional(),
  })
  .strict();
export type FaultRule = z.input<typeof FaultRule>;

export interface ActiveFault {
  id: number;
  rule: z.output<typeof FaultRule>;
  method: string | null;
  crm: CrmKey | null;
  pattern: RegExp | null;
  seen: number;
  fired: number;
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
const CRM_WORDS: Record<string, CrmKey> = { sf: 'sf', salesforce: 'sf', hs: 'hs', hubspot: 'hs' };

function compileOn(on: string): Pick<ActiveFault, 'method' | 'crm' | 'pattern'> {
  const words = on.trim().split(/\s+/);
  let method: string | null = null;
  let crm: CrmKey | null = null;
  const first = words[0]!;
  if (first === '*' && words.length > 1) words.shift();
  else if (METHODS.has(first.toUpperCase())) method = words.shift()!.toUpperCase();
  if (words[0] && CRM_WORDS[words[0].toLowerCase()]) crm = CRM_WORDS[words.shift()!.toLowerCase()]!;
  const rest = words.join(' ');
  if (!rest || rest === '*') return { method, crm, pattern: null };
  const src = rest
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return { method, crm, pattern: new RegExp(src, 'i') };
}

export interface FaultRequest {
  crm: CrmKey;
  method: string;
  path: string;
}

/** The sandbox's fault table: rules added per run (options), per test (`add`) or over HTTP. */
export class FaultTable {
  private rules: ActiveFault[] = [];
  private nextId = 1;
  private readonly rng: Rng;

  constructor(seed: number) {
    this.rng = createRng(seed ^ 0x5eed);
  }

  /** Validates and adds a rule; returns its id (for `remove`). Throws naming the bad key. */
  add(input: FaultRule): number {
    const r = FaultRule.safeParse(input);
    if (!r.success) {
      const where = r.error.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`).join('; ');
      throw new Error(`invalid fault rule ${JSON.stringify(input)}: ${where}`);
    }
    const id = this.nextId++;
    this.rules.push({ id, rule: r.data, ...compileOn(r.data.on), seen: 0, fired: 0 });
    return id;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((f) => f.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  list(): Array<FaultRule & { id: number; fired: number }> {
    return this.rules.map((f) => ({ ...f.rule, id: f.id, fired: f.fired }));
  }

  private matches(f: ActiveFault, req: FaultRequest): boolean {
    if (f.crm && f.crm !== req.crm) return false;
    if (f.method && f.method !== req.method) return false;
    return !f.pattern || f.pattern.test(req.path);
  }

  /** Consumes one use of each request-level rule that matches, in the order they were added. */
  take(req: FaultRequest): ActiveFault[] {
    const out: ActiveFault[] = [];
    for (const f of this.rules) {
      if (f.rule.rejectRecords || !this.matches(f, req)) continue;
      if (this.fire(f)) out.push(f);
    }
    this.rules = this.rules.filter((f) => f.rule.times === undefined || f.fired < f.rule.times || f.rule.rejectRecords);
    return out;
  }

  /** The per-record rejection rules that apply to this batch request (each counts as one use). */
  takeRejections(req: FaultRequest): Array<NonNullable<ActiveFault['rule']['rejectRecords']>> {
    const out: Array<NonNullable<ActiveFault['rule']['rejectRecords']>> = [];
    for (const f of this.rules) {
      if (!f.rule.rejectRecords || !this.matches(f, req)) continue;
      if (this.fire(f)) out.push(f.rule.rejectRecords);
    }
    this.rules = this.rules.filter((f) => f.rule.times === undefined || f.fired < f.rule.times);
    return out;
  }

  private fire(f: ActiveFault): boolean {
    f.seen++;
    if (f.rule.after !== undefined && f.seen <= f.rule.after) return false;
    if (f.rule.times !== undefined && f.fired >= f.rule.times) return false;
    if (f.rule.probability !== undefined && this.rng.next() >= f.rule.probability) return false;
    f.fired++;
    return true;
  }
}

/** The rejection (if any) for the record at 1-based `position` with `id`. */
export function rejectionFor(
  rules: ReadonlyArray<NonNullable<ActiveFault['rule']['rejectRecords']>>,
  id: string | undefined,
  position: number,
): NonNullable<ActiveFault['rule']['rejectRecords']> | null {
  for (const r of rules) {
    if (r.ids && id !== undefined && r.ids.includes(id)) return r;
    if (r.every && position % r.every === 0) return r;
    if (!r.ids && !r.every) return r;
  }
  return null;
}
