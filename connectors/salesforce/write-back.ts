import { AppError } from '../../src/core/errors.ts';
import type { WriteBack } from '../../src/mapping/schema.ts';
import type { ConnectorLogger, DealUpdate, RecordFailure, WriteResult } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import { type FieldShape, formatRiskRecord, unwritableFields } from './format-values.ts';
import { isRetryableRecordError } from './to-app-error.ts';

/** sObject Collections take at most 200 records per request. */
export const COLLECTION_MAX = 200;

export interface SaveResult {
  id?: string;
  success: boolean;
  errors?: Array<{ statusCode?: string; message?: string; fields?: string[] }>;
}

/** Errors that stop the tenant's run: the caller gets them thrown, with results so far attached. */
export const STOPS_RUN = new Set(['crm_auth_revoked', 'crm_quota_exhausted']);

export function recordFailure(r: SaveResult): RecordFailure {
  const e = r.errors?.[0];
  const code = e?.statusCode ?? 'UNKNOWN_ERROR';
  const fields = e?.fields?.length ? ` (${e.fields.join(', ')})` : '';
  return { code, message: `${e?.message ?? 'rejected without a message'}${fields}`, retryable: isRetryableRecordError(code) };
}

/** A whole request failed (timeout, 5xx, malformed): every record in it gets the same verdict. */
export function requestFailure(e: AppError): RecordFailure {
  return { code: String(e.details.sfCode ?? e.code), message: e.message, retryable: e.details.retryable === true };
}

/**
 * Attaches one result per input to a run-stopping error, so the caller keeps what was
 * written before the stop and retries the rest.
 */
export function stopWithResults<T>(e: AppError, done: T[], rest: T[]): AppError {
  return new AppError(e.code, e.message, { ...e.details, results: [...done, ...rest], cause: e.details.cause ?? e });
}

/**
 * Writes risk fields with PATCH /composite/sobjects (allOrNone=false), 200 records a request.
 * POST/PATCH are never retried here or by jsforce: a failed record comes back with
 * Salesforce's code and a retryable flag, and the sync engine's outbox sends it next run.
 */
export async function writeRiskFields(
  api: SalesforceApi,
  writeBack: WriteBack,
  shapes: () => Promise<ReadonlyMap<string, FieldShape>>,
  updates: readonly DealUpdate[],
  log: ConnectorLogger,
): Promise<WriteResult[]> {
  if (!updates.length) return [];
  let fieldShapes: ReadonlyMap<string, FieldShape>;
  try {
    fieldShapes = await shapes();
  } catch (e) {
    const err = e as AppError;
    const failed = updates.map((u) => ({ externalId: u.externalId, ok: false, error: requestFailure(err) }));
    if (STOPS_RUN.has(err.code)) throw stopWithResults(err, [], failed);
    return failed;
  }
  const missing = unwritableFields(writeBack, fieldShapes);
  if (missing.length) {
    const failure: RecordFailure = {
      code: 'INVALID_FIELD',
      message: `${writeBack.object} fields ${missing.join(', ')} are missing or not editable for the integration user; run setup or assign its permission set`,
      retryable: false,
    };
    return updates.map((u) => ({ externalId: u.externalId, ok: false, error: failure }));
  }
  const results: WriteResult[] = [];
  for (let i = 0; i < updates.length; i += COLLECTION_MAX) {
    const chunk = updates.slice(i, i + COLLECTION_MAX);
    const records = chunk.map((u) => {
      const { values, notes } = formatRiskRecord(u.fields, writeBack, fieldShapes);
      if (notes.length) log.warn('salesforce risk text truncated', { recordId: u.externalId, notes });
      return { Id: u.externalId, ...values };
    });
    let saved: SaveResult[];
    try {
      saved = await api.call((c) => c.sobject(writeBack.object).update(records, { allOrNone: false }) as Promise<SaveResult[]>);
    } catch (e) {
      const err = e as AppError;
      const failed = chunk.map((u) => ({ externalId: u.externalId, ok: false, error: requestFailure(err) }));
      if (STOPS_RUN.has(err.code)) {
        const rest = updates.slice(i + COLLECTION_MAX).map((u) => ({ externalId: u.externalId, ok: false, error: requestFailure(err) }));
        throw stopWithResults(err, results, [...failed, ...rest]);
      }
      log.warn('salesforce collection update failed', { records: chunk.length, code: err.code, sfCode: err.details.sfCode });
      results.push(...failed);
      continue;
    }
    chunk.forEach((u, j) => {
      const r = saved[j];
      if (!r)
        results.push({
          externalId: u.externalId,
          ok: false,
          error: { code: 'NO_RESULT', message: 'Salesforce returned fewer results than records', retryable: true },
        });
      else
        results.push(r.success ? { externalId: u.externalId, ok: true } : { externalId: u.externalId, ok: false, error: recordFailure(r) });
    });
  }
  return results;
}
