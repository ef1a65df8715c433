import { AppError } from '../../src/core/errors.ts';
import { type HeaderBag, toAppError } from './to-app-error.ts';

/** The last error response the instrumented transport saw (jsforce errors lose the status). */
export interface ErrorResponse {
  status: number;
  body: string;
  headers: HeaderBag;
}

const NETWORK_ERROR = /^(ECONNRESET|ECONNREFUSED|ENOTFOUND|ENETDOWN|ENETUNREACH|EHOSTDOWN|ETIMEDOUT|EPIPE|UND_ERR_SOCKET)$/;

/**
 * Turns whatever jsforce threw into an AppError. jsforce keeps Salesforce's errorCode and
 * message but drops the HTTP status, so the status comes from the transport's record of the
 * failing response (matched by errorCode) or from jsforce's synthetic `ERROR_HTTP_<status>`.
 */
export function fromSdkError(err: unknown, last?: ErrorResponse | null): AppError {
  if (err instanceof AppError) return err;
  const e = err as { name?: string; message?: string; errorCode?: string; data?: unknown; code?: string; type?: string };
  if (!e || typeof e !== 'object') return new AppError('internal', `Salesforce call failed: ${String(err)}`, { cause: err });

  if (e.name === 'AbortError') {
    return new AppError('crm_unavailable', `Salesforce request aborted: ${e.message ?? ''}`.trim(), { retryable: true, cause: err });
  }
  if (e.name === 'FetchError' || (e.code && NETWORK_ERROR.test(e.code))) {
    const appErr = toAppError(undefined, e.message ?? e.code ?? 'network error');
    return new AppError(appErr.code, appErr.message, { ...appErr.details, networkCode: e.code, cause: err });
  }

  if (typeof e.errorCode === 'string') {
    // SOAP (Metadata API) faults arrive as `sf:INSUFFICIENT_ACCESS`.
    const code = e.errorCode.replace(/^[a-z]+:/, '');
    const synthetic = /^ERROR_HTTP_(\d{3})$/.exec(code);
    const matchesLast = last && (synthetic ? false : last.body.includes(code));
    const status = synthetic ? Number(synthetic[1]) : matchesLast ? last.status : undefined;
    const data = e.data && typeof e.data === 'object' && !Array.isArray(e.data) ? e.data : {};
    const entries = Array.isArray(e.data) ? e.data : [{ ...data, errorCode: synthetic ? undefined : code, message: e.message }];
    const statusGuess = status ?? statusFromCode(code);
    const appErr = toAppError(statusGuess, synthetic ? String(e.data ?? e.message ?? '') : entries, matchesLast ? last.headers : {});
    return new AppError(appErr.code, appErr.message, { ...appErr.details, cause: err });
  }

  // jsforce's OAuth2 client throws `new Error(error_description)` with `name = error`.
  if (e.name && /^[a-z_]+$/.test(e.name) && e.name !== 'error') {
    const appErr = toAppError(last?.status ?? 400, { error: e.name, error_description: e.message });
    return new AppError(appErr.code, appErr.message, { ...appErr.details, cause: err });
  }
  return new AppError('internal', `Salesforce call failed: ${e.message ?? String(err)}`, { cause: err });
}

/** When no response was recorded, the Salesforce code alone still tells the status class. */
function statusFromCode(code: string): number | undefined {
  if (code === 'INVALID_SESSION_ID') return 401;
  if (code === 'REQUEST_LIMIT_EXCEEDED' || code.startsWith('API_') || code.startsWith('INSUFFICIENT_ACCESS')) return 403;
  if (code === 'NOT_FOUND') return 404;
  if (code === 'SERVER_UNAVAILABLE' || code === 'UNKNOWN_EXCEPTION') return 503;
  return 400;
}
