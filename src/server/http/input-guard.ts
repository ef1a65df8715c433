import type { RequestHandler } from 'express';
import { AppError } from '../../core/errors.ts';
import { isApiRequest } from './errors.ts';

/** Deeper than any mapping, playbook or deal we accept; deep enough to stop recursion attacks. */
export const MAX_BODY_DEPTH = 32;

/**
 * Why a string cannot be stored or compared as sent: Postgres text and jsonb refuse U+0000, and
 * jsonb refuses an unpaired UTF-16 surrogate (JSON.stringify writes it as a bare \ud800 escape).
 */
export function unstorable(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000)';
  if (LONE_SURROGATE.test(s)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export interface InputProblem {
  /** Dotted path of the offending value, e.g. `deal.owner.name` or `owner`. */
  path: string;
  message: string;
}

/**
 * The first value a request part cannot carry: a string (key or value) `unstorable` refuses, or
 * nesting deeper than `maxDepth`. Iterative, so a hostile depth cannot overflow the stack here.
 */
export function findInputProblem(value: unknown, maxDepth = MAX_BODY_DEPTH): InputProblem | null {
  const stack: Array<{ v: unknown; path: string[] }> = [{ v: value, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    const where = () => path.join('.');
    if (typeof v === 'string') {
      const why = unstorable(v);
      if (why) return { path: where(), message: why };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) return { path: `${path.slice(0, 4).join('.')}…`, message: `is nested deeper than ${maxDepth} levels` };
    for (const [k, child] of Object.entries(v)) {
      const why = unstorable(k);
      if (why) return { path: [...path, k.replaceAll('\0', '\\0')].join('.'), message: `key ${why}` };
      stack.push({ v: child, path: [...path, k] });
    }
  }
  return null;
}

/** One 400 for a bad input part, naming where and what, in the shape validation errors have. */
export function inputError(where: 'query' | 'path' | 'body', p: InputProblem): AppError {
  const name = p.path || '(root)';
  const label = where === 'body' ? `body field ${name}` : `${where} parameter ${name}`;
  return new AppError('input_invalid', `invalid ${where}: ${label} ${p.message}`, {
    issues: [{ in: where, path: p.path, message: p.message }],
  });
}

/**
 * Every request, pages and API alike, before anything reads it: query parameters and bodies
 * that Postgres could not store or compare, or that nest deep enough to overflow the stack of
 * whatever walks them next (hashing for Idempotency-Key, validation), are refused with a 400
 * naming the parameter. API path parameters are checked by name where routes are mounted
 * (api/registry.ts); for pages the path as a whole is.
 */
export const inputGuard: RequestHandler = (req, _res, next) => {
  const query = findInputProblem(req.query);
  if (query) return next(inputError('query', query));
  if (req.body !== undefined) {
    const body = findInputProblem(req.body);
    if (body) return next(inputError('body', body));
  }
  // req.path is still percent-encoded: a NUL can only arrive as %00.
  if (!isApiRequest(req.path) && /%00/.test(req.path)) {
    return next(new AppError('input_invalid', 'invalid path: the URL path contains a NUL character (%00)'));
  }
  next();
};
