import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, type ErrorCode } from '../../core/errors.ts';
import type { Logger } from '../../log.ts';

/** The one place that decides what each error code means over HTTP. */
export const STATUS: Record<ErrorCode, number> = {
  input_invalid: 400,
  mapping_invalid: 400,
  record_invalid: 400,
  config_invalid: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  model_unavailable: 409,
  crm_auth_revoked: 502,
  crm_auth_expired: 502,
  crm_rate_limited: 503,
  crm_quota_exhausted: 503,
  crm_unavailable: 503,
  crm_record_rejected: 502,
  crm_bad_request: 502,
  crm_permission_denied: 502,
  crm_not_found: 502,
  internal: 500,
};

/** Detail keys safe to show a caller; anything else (causes, raw CRM bodies) stays in the logs. */
const PUBLIC_DETAILS = ['path', 'recordId', 'issues', 'retryAfterMs', 'field', 'allowed'];

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Turns anything thrown into a status and a body that leaks nothing internal. */
export function toErrorResponse(e: unknown): { status: number; body: ErrorBody; retryAfterS?: number } {
  const err = normalize(e);
  const status = STATUS[err.code] ?? 500;
  const details: Record<string, unknown> = {};
  for (const k of PUBLIC_DETAILS) if (err.details[k] !== undefined) details[k] = err.details[k];
  const message = status >= 500 && err.code === 'internal' ? 'Something went wrong on our side; it has been logged.' : err.message;
  const retryAfterS = err.details.retryAfterMs !== undefined ? Math.max(1, Math.ceil(Number(err.details.retryAfterMs) / 1000)) : undefined;
  return { status, body: { error: err.code, message, ...(Object.keys(details).length ? { details } : {}) }, retryAfterS };
}

/** Errors from express/body-parser carry `type` and `status`; everything unknown is internal. */
function normalize(e: unknown): AppError {
  if (e instanceof AppError) return e;
  const x = e as { type?: string; status?: number; message?: string; limit?: number };
  if (x?.type === 'entity.too.large') return new AppError('payload_too_large', `request body is larger than the ${x.limit} bytes allowed`);
  if (x?.type === 'entity.parse.failed') return new AppError('input_invalid', 'request body is not valid JSON');
  if (x?.type === 'encoding.unsupported' || x?.type === 'charset.unsupported')
    return new AppError('input_invalid', 'request body encoding is not supported');
  if (x?.type === 'parameters.too.many') return new AppError('payload_too_large', 'the form has more fields than a request may carry');
  if (x?.status === 413) return new AppError('payload_too_large', 'request body is too large');
  // Any other refusal of the body by the parser is the caller's (body-parser sets 4xx statuses).
  if ((x?.status !== undefined && x.status >= 400 && x.status < 500) || x?.type === 'request.aborted')
    return new AppError('input_invalid', 'bad request');
  return new AppError('internal', 'internal error', { cause: e });
}

export const isApiRequest = (path: string): boolean => path.startsWith('/v1/') || path === '/v1';

/**
 * JSON `{ error, message, details }` for the API; an HTML page for browsers. Server errors are
 * logged with the request id; the caller sees only the code and a safe message.
 */
export function errorMiddleware(logger: Logger, renderPage: (status: number, body: ErrorBody) => string): ErrorRequestHandler {
  return (e, req, res, _next) => {
    const { status, body, retryAfterS } = toErrorResponse(e);
    const log = logger.child({ requestId: res.locals.requestId, method: req.method, path: req.path });
    if (status >= 500) log.error('request failed', { code: body.error, error: e });
    else log.debug('request refused', { code: body.error, status });
    if (res.headersSent) return;
    if (retryAfterS !== undefined) res.setHeader('Retry-After', String(retryAfterS));
    if (isApiRequest(req.path) || !req.accepts('html')) res.status(status).json(body);
    else res.status(status).type('html').send(renderPage(status, body));
  };
}

export const notFound: RequestHandler = (req, _res, next) => next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
