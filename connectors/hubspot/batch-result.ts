import { z } from 'zod';
import type { AppError } from '../../src/core/errors.ts';
import type { RecordFailure } from '../types.ts';

/**
 * A batch endpoint's answer. v3 reports partial failures as 207 with `errors`; the dated
 * versions (2026-09) put `errors`/`numErrors` inside a 200. Both shapes parse here.
 */
export const BatchReply = z.object({
  status: z.string().optional(),
  results: z
    .array(
      z
        .object({
          id: z.string(),
          properties: z.record(z.string(), z.string().nullable()).optional(),
          objectWriteTraceId: z.string().optional(),
        })
        .loose(),
    )
    .default([]),
  numErrors: z.number().optional(),
  errors: z
    .array(
      z
        .object({
          status: z.string().optional(),
          category: z.string().optional(),
          subCategory: z.unknown().optional(),
          message: z.string().optional(),
          context: z.record(z.string(), z.unknown()).optional(),
          errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() }).loose()).optional(),
        })
        .loose(),
    )
    .default([]),
});
export type BatchReply = z.infer<typeof BatchReply>;

/** Per-record categories that may succeed on a later run. */
const RETRYABLE = new Set(['RATE_LIMITS', 'LOCKED', 'INTERNAL_ERROR', 'TIMEOUT', 'SERVICE_UNAVAILABLE']);

/** Which input each batch error is about, keyed by `context.ids` (updates) or `context.objectWriteTraceId` (creates). */
export function failuresByKey(reply: BatchReply, contextKey: 'ids' | 'objectWriteTraceId' | 'id'): Map<string, RecordFailure> {
  const out = new Map<string, RecordFailure>();
  for (const e of reply.errors) {
    const keys = e.context?.[contextKey];
    const list = Array.isArray(keys) ? keys.map(String) : typeof keys === 'string' ? [keys] : [];
    const failure: RecordFailure = {
      code: e.errors?.[0]?.code ?? e.category ?? 'UNKNOWN',
      message: e.message ?? e.errors?.[0]?.message ?? 'HubSpot rejected this record',
      retryable: RETRYABLE.has(e.category ?? ''),
    };
    for (const k of list) out.set(k, failure);
  }
  return out;
}

/** Errors the batch reported without naming an input (we cannot tell whose they are). */
export function unattributedFailure(reply: BatchReply): RecordFailure | null {
  const e = reply.errors.find((x) => !x.context || Object.keys(x.context).length === 0);
  return e
    ? { code: e.category ?? 'UNKNOWN', message: e.message ?? 'HubSpot batch error', retryable: RETRYABLE.has(e.category ?? '') }
    : null;
}

/** A whole-request rejection turned into one record's failure (after bisecting down to it). */
export function failureFrom(e: AppError): RecordFailure {
  return {
    code: String(e.details.code ?? e.details.category ?? e.code),
    message: e.message,
    retryable: e.details.retryable === true,
  };
}

/** Whole-request errors that are about the records (bisect to find the bad one) rather than the connection. */
export const isRecordLevel = (e: AppError): boolean =>
  (e.code === 'crm_record_rejected' || e.code === 'crm_not_found') && !isMissingProperty(e);

/** A write naming a property the portal lacks fails every record alike: setup has not run. */
export const isMissingProperty = (e: AppError): boolean =>
  /PROPERTY_DOESNT_EXIST|does not exist/i.test(`${String(e.details.code ?? '')} ${e.message}`);
