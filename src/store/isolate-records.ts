/**
 * SQLSTATE classes one row's own data can raise (PostgreSQL "Appendix A. Error Codes"):
 * 22 data exception (untranslatable character, invalid JSON, value out of range), 23 integrity
 * constraint violation (check, not-null, unique), 54 program limit exceeded (an index row or a
 * value too large). Anything else (connection lost, undefined table, serialization failure,
 * shutdown) concerns the whole database, not one record.
 */
const RECORD_CLASSES = new Set(['22', '23', '54']);

/** True when a failed write may be caused by a single row (see RECORD_CLASSES). */
export function isRecordLevelError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && RECORD_CLASSES.has(code.slice(0, 2));
}

/** The column (when the database names one) and the reason of a failed row, in words. */
export function describeStoreError(e: unknown): { field: string | null; reason: string } {
  const err = e as { message?: unknown; code?: unknown; column?: unknown; constraint?: unknown };
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const code = typeof err?.code === 'string' ? ` [${err.code}]` : '';
  const constraint = typeof err?.constraint === 'string' ? ` (constraint ${err.constraint})` : '';
  return {
    field: typeof err?.column === 'string' ? err.column : null,
    reason: `the database refused the row: ${message}${constraint}${code}`,
  };
}

export interface IsolatedFailure<T> {
  item: T;
  error: unknown;
}

/**
 * Writes `items` with `write`, which must be all-or-nothing per call (one statement, or one
 * transaction). When a call fails for a reason one row can cause, its batch is halved until the
 * rows at fault stand alone: those come back with their error and every other row is written.
 * k bad rows among n cost about 2·k·log2(n) more calls. When every row of a batch of several
 * fails, the fault is not in the rows (a column our code fills wrongly for all): the first error
 * is thrown, as is any failure of another kind.
 */
export async function writeIsolating<T>(items: T[], write: (batch: T[]) => Promise<void>): Promise<Array<IsolatedFailure<T>>> {
  const failed = await halving(items, write);
  if (items.length > 1 && failed.length === items.length) throw failed[0]!.error;
  return failed;
}

async function halving<T>(items: T[], write: (batch: T[]) => Promise<void>): Promise<Array<IsolatedFailure<T>>> {
  if (items.length === 0) return [];
  try {
    await write(items);
    return [];
  } catch (e) {
    if (!isRecordLevelError(e)) throw e;
    if (items.length === 1) return [{ item: items[0]!, error: e }];
    const mid = Math.ceil(items.length / 2);
    return [...(await halving(items.slice(0, mid), write)), ...(await halving(items.slice(mid), write))];
  }
}
