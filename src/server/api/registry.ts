import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { AppError, formatIssues } from '../../core/errors.ts';
import { type Principal, requireAdmin, requirePrincipal } from '../auth/principal.ts';
import { findInputProblem, inputError } from '../http/input-guard.ts';

export type Access = 'public' | 'read' | 'admin';

/** One API route: its contract (zod, feeding validation and OpenAPI alike) and its handler. */
export interface RouteDef {
  method: 'get' | 'post' | 'put';
  /** Express-style path, e.g. `/v1/deals/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  access: Access;
  query?: z.ZodType;
  params?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status?: number;
  /** Error statuses worth documenting beyond the ones every route has. */
  errors?: number[];
  /** POST routes that honour Idempotency-Key. */
  idempotent?: boolean;
  handler(c: HandlerContext): Promise<unknown>;
}

export interface HandlerContext {
  /** Set for every route except `public` ones. */
  principal: Principal;
  /** Parsed by the route's own schemas; route() gives each handler their types. */
  query: unknown;
  params: unknown;
  body: unknown;
  req: Request;
  res: Response;
}

/** Typed helper so each route's handler sees its own parsed shapes. */
export function route<Q extends z.ZodType = z.ZodNever, P extends z.ZodType = z.ZodNever, B extends z.ZodType = z.ZodNever>(
  def: Omit<RouteDef, 'handler' | 'query' | 'params' | 'body'> & {
    query?: Q;
    params?: P;
    body?: B;
    handler(
      c: Omit<HandlerContext, 'query' | 'params' | 'body'> & { query: z.output<Q>; params: z.output<P>; body: z.output<B> },
    ): Promise<unknown>;
  },
): RouteDef {
  return def as RouteDef;
}

function parse<T extends z.ZodType>(schema: T, value: unknown, where: 'query' | 'path' | 'body'): z.output<T> {
  // Path parameters arrive decoded (a%00b is "a\0b"): named here, before any query sees them.
  const problem = findInputProblem(value);
  if (problem) throw inputError(where, problem);
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new AppError('input_invalid', `invalid ${where}: ${formatIssues(r.error.issues)}`, {
      issues: r.error.issues.map((i) => ({ in: where, path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return r.data;
}

/** Mounts each route with validation and access checks; responses are sent as JSON. */
export function mountRoutes(router: Router, defs: RouteDef[]): void {
  for (const d of defs) {
    router[d.method](d.path, async (req, res) => {
      const principal =
        d.access === 'admin' ? requireAdmin(res) : d.access === 'read' ? requirePrincipal(res) : (undefined as unknown as Principal);
      const query = d.query ? parse(d.query, req.query ?? {}, 'query') : {};
      const params = d.params ? parse(d.params, req.params, 'path') : {};
      const body = d.body ? parse(d.body, req.body ?? {}, 'body') : undefined;
      const before = res.statusCode;
      const out = await d.handler({ principal, query, params, body, req, res });
      // A handler may set its own status (readiness answers 503); otherwise the route's.
      if (!res.headersSent) res.status(res.statusCode !== before ? res.statusCode : (d.status ?? 200)).json(out);
    });
  }
}
