import { z } from 'zod';
import { AppError, formatIssues } from '../core/errors.ts';

/**
 * JSON read back from the database is parsed, not cast: each stored shape has a schema next to
 * the repository that reads it, and a row that does not match fails here, naming its table, row
 * and field, rather than flowing on as a wrong type. Stored JSON is our own writing, so a
 * mismatch is corruption or a bug (an `internal` error: logged in full, never shown to callers).
 */
export interface StoredAt {
  table: string;
  /** The row's key as people read it: an id, or `tenant/source/externalId`. */
  row: string;
  column: string;
}

export function parseStored<S extends z.ZodType>(schema: S, value: unknown, at: StoredAt): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ ...i, path: [at.column, ...i.path] }));
  throw new AppError('internal', `${at.table} row ${at.row} holds malformed JSON: ${formatIssues(issues)}`, {
    table: at.table,
    recordId: at.row,
    path: issues[0]!.path.map(String).join('.'),
  });
}

/** JSON text the store keeps in a text column (sealed credentials), parsed; bad text fails like a bad shape. */
export function parseJson(text: string, at: StoredAt): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the text: left out, as the text may be a token.
    throw new AppError('internal', `${at.table} row ${at.row} holds malformed JSON: ${at.column}: not JSON`, {
      table: at.table,
      recordId: at.row,
      path: at.column,
    });
  }
}

/**
 * A Date stored through JSON.stringify (an ISO 8601 string), revived. Anything else, or a string
 * no Date reads, fails. (A preprocess rather than `z.iso.datetime()`: its pattern made reading a
 * deal several times slower, and every string JSON.stringify writes for a Date reads back.)
 */
export const storedDate = z.preprocess(
  (v) => (typeof v === 'string' ? new Date(v) : v),
  z.date({ error: 'must be a date as an ISO 8601 string' }),
);

/** A JSON object whose keys the repository does not interpret (settings, reports, details). */
export const StoredObject = z.record(z.string(), z.unknown());
