import { AppError } from '../core/errors.ts';
import { isBlank } from './parse-value.ts';
import type { Lookup } from './schema.ts';
import { compilePath } from './to-deal.ts';

/** One row of a lookup file: its line (the header is line 1) and its columns. */
export interface LookupRow {
  line: number;
  data: Record<string, unknown>;
}

/** A key found on several lines of a lookup file. */
export interface RepeatedKey {
  key: string;
  lines: number[];
  /** Every line carries the same values: the join is not ambiguous and uses them. */
  identical: boolean;
}

/** A lookup file indexed by its key column. */
export interface LookupTable {
  name: string;
  /** The file as the mapping names it, for messages. */
  file: string;
  spec: Lookup;
  rows: Map<string, LookupRow>;
  repeated: RepeatedKey[];
  /** Lines whose key column is empty: no row can join them. */
  emptyKeyLines: number[];
}

const sameValues = (a: Record<string, unknown>, b: Record<string, unknown>): boolean => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/** Indexes a lookup file's rows as they are read, noting repeated and empty keys. */
export function lookupTableBuilder(name: string, spec: Lookup, file: string) {
  const rows = new Map<string, LookupRow>();
  const repeats = new Map<string, RepeatedKey>();
  const emptyKeyLines: number[] = [];
  return {
    add(row: LookupRow): void {
      const raw = row.data[spec.key];
      if (isBlank(raw)) {
        emptyKeyLines.push(row.line);
        return;
      }
      const key = String(raw).trim();
      const first = rows.get(key);
      if (!first) {
        rows.set(key, row);
        return;
      }
      const r = repeats.get(key) ?? repeats.set(key, { key, lines: [first.line], identical: true }).get(key)!;
      r.lines.push(row.line);
      r.identical &&= sameValues(first.data, row.data);
    },
    build(): LookupTable {
      return { name, file, spec, rows, repeated: [...repeats.values()], emptyKeyLines };
    },
  };
}

/** A row joined to its lookups, or why it cannot be. `missed` names the lookups that matched no row. */
export type JoinResult =
  | { ok: true; data: Record<string, unknown>; missed: Array<{ lookup: string; key: string }> }
  | { ok: false; field: string; reason: string };

const listLines = (lines: readonly number[]): string =>
  lines.length === 2 ? `lines ${lines[0]} and ${lines[1]}` : `lines ${lines.slice(0, -1).join(', ')} and ${lines[lines.length - 1]}`;

/**
 * Compiles the joins of a mapping, in the order its lookups are listed: each adds the matched
 * row under the lookup's name (`accounts.Industry`), so a later lookup's `on` may read an earlier
 * one. An empty key or a key no row has gives null values, or rejects the row when the lookup is
 * `required`; a key on several lines with different values always rejects it (which is meant is
 * unknown).
 */
export function compileJoin(tables: readonly LookupTable[]): (data: Record<string, unknown>) => JoinResult {
  const steps = tables.map((t) => ({
    t,
    readOn: compilePath(t.spec.on),
    ambiguous: new Map(t.repeated.filter((r) => !r.identical).map((r) => [r.key, r.lines])),
  }));
  return (data) => {
    let out = data;
    const missed: Array<{ lookup: string; key: string }> = [];
    for (const { t, readOn, ambiguous } of steps) {
      if (Object.hasOwn(data, t.name)) {
        throw new AppError(
          'input_invalid',
          `the file has a column named "${t.name}", like the lookup lookups.${t.name}: rename the lookup`,
          { path: `lookups.${t.name}` },
        );
      }
      const raw = readOn(out);
      const field = `lookups.${t.name}`;
      let row: LookupRow | undefined;
      if (isBlank(raw)) {
        if (t.spec.required) return { ok: false, field, reason: `${t.spec.on} is empty, so no row of ${t.file} can be joined` };
      } else {
        const key = String(raw).trim();
        const lines = ambiguous.get(key);
        if (lines)
          return {
            ok: false,
            field,
            reason: `${t.spec.key} "${key}" is on ${listLines(lines)} of ${t.file} with different values: which one is meant is unknown`,
          };
        row = t.rows.get(key);
        if (!row) {
          if (t.spec.required) return { ok: false, field, reason: `no row of ${t.file} has ${t.spec.key} "${key}"` };
          missed.push({ lookup: t.name, key });
        }
      }
      out = { ...out, [t.name]: row ? row.data : null };
    }
    return { ok: true, data: out, missed };
  };
}
