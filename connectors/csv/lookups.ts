import { access } from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../../src/core/errors.ts';
import { compileJoin, type LookupTable, lookupTableBuilder, type RepeatedKey } from '../../src/mapping/lookups.ts';
import { isBlank } from '../../src/mapping/parse-value.ts';
import type { Mapping } from '../../src/mapping/schema.ts';
import { compilePath, type RecordError } from '../../src/mapping/to-deal.ts';
import type { RawRecord, UnreadableRecord } from '../types.ts';
import { readCsvRecords } from './read-records.ts';

/** What one lookup file held and how the rows of the main file met it. */
export interface LookupReport {
  lookup: string;
  /** The file read, resolved against the main file's folder. */
  file: string;
  rows: number;
  repeated: RepeatedKey[];
  emptyKeyLines: number[];
  /** Lines of the lookup file csv-parse could not read. */
  unreadable: UnreadableRecord[];
  /** Rows of the main file whose key matched no lookup row (their lookup values are empty). */
  missed: Array<{ row: number; recordId: string; key: string }>;
}

/** The lookups of a mapping, read and ready to join each row of the main file. */
export interface CsvLookups {
  /** The lookup files, for a content hash. */
  files: string[];
  reports: LookupReport[];
  join(rec: RawRecord): { ok: true; record: RawRecord } | { ok: false; error: RecordError };
}

/** A lookup's file: absolute as written, else relative to the folder of the file being read. */
export const lookupFile = (file: string, mainFile: string): string => path.resolve(path.dirname(mainFile), file);

async function readTable(
  name: string,
  spec: NonNullable<Mapping['lookups']>[string],
  file: string,
): Promise<{ table: LookupTable; report: LookupReport }> {
  try {
    await access(file);
  } catch (e) {
    throw new AppError('input_invalid', `lookups.${name}.file: cannot read ${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const builder = lookupTableBuilder(name, spec, spec.file);
  const report: LookupReport = { lookup: name, file, rows: 0, repeated: [], emptyKeyLines: [], unreadable: [], missed: [] };
  for await (const page of readCsvRecords(file)) {
    report.unreadable.push(...page.unreadable);
    for (const r of page.records) {
      if (report.rows === 0 && !Object.hasOwn(r.data, spec.key)) {
        throw new AppError(
          'input_invalid',
          `${file}: no column "${spec.key}" (lookups.${name}.key); its columns are ${Object.keys(r.data).join(', ')}`,
          { path: file },
        );
      }
      report.rows++;
      builder.add({ line: r.row!, data: r.data });
    }
  }
  const table = builder.build();
  report.repeated = table.repeated;
  report.emptyKeyLines = table.emptyKeyLines;
  return { table, report };
}

/** Reads every lookup file of the mapping (null when it has none). */
export async function openLookups(mapping: Mapping, mainFile: string): Promise<CsvLookups | null> {
  const entries = Object.entries(mapping.lookups ?? {});
  if (entries.length === 0) return null;
  const read = [];
  for (const [name, spec] of entries) read.push(await readTable(name, spec, lookupFile(spec.file, mainFile)));
  const join = compileJoin(read.map((r) => r.table));
  const reports = read.map((r) => r.report);
  const byName = new Map(reports.map((r) => [r.lookup, r]));
  const readId = mapping.id === '$row' ? null : compilePath(mapping.id);
  const idOf = (rec: RawRecord): string => {
    const raw = readId ? readId(rec.data) : rec.row;
    return isBlank(raw) ? rec.id : String(raw).trim();
  };
  return {
    files: reports.map((r) => r.file),
    reports,
    join(rec) {
      const r = join(rec.data);
      if (!r.ok)
        return {
          ok: false,
          error: { recordId: idOf(rec), ...(rec.row !== undefined ? { row: rec.row } : {}), field: r.field, reason: r.reason },
        };
      for (const m of r.missed) byName.get(m.lookup)!.missed.push({ row: rec.row ?? 0, recordId: idOf(rec), key: m.key });
      return { ok: true, record: { ...rec, data: r.data } };
    },
  };
}

const SHOWN = 5;
const some = (items: string[]): string =>
  items.slice(0, SHOWN).join(', ') + (items.length > SHOWN ? ` and ${items.length - SHOWN} more` : '');

/** One line per thing a person should know about the lookups of an import. */
export function describeLookups(reports: readonly LookupReport[]): string[] {
  const out: string[] = [];
  for (const r of reports) {
    out.push(`lookups.${r.lookup}: ${r.rows} rows read from ${r.file}`);
    if (r.missed.length) {
      out.push(
        `lookups.${r.lookup}: ${r.missed.length} rows matched no row there, so their ${r.lookup} values are empty: ${some(r.missed.map((m) => `line ${m.row} ("${m.key}")`))}`,
      );
    }
    for (const k of r.repeated) {
      out.push(
        k.identical
          ? `lookups.${r.lookup}: key "${k.key}" is repeated on lines ${k.lines.join(', ')} of ${r.file} with the same values`
          : `lookups.${r.lookup}: key "${k.key}" is on lines ${k.lines.join(', ')} of ${r.file} with different values: rows joining it are rejected`,
      );
    }
    if (r.emptyKeyLines.length)
      out.push(
        `lookups.${r.lookup}: ${r.emptyKeyLines.length} rows of ${r.file} have no key and are never joined: ${some(r.emptyKeyLines.map((l) => `line ${l}`))}`,
      );
    for (const u of r.unreadable) out.push(`lookups.${r.lookup}: line ${u.row} of ${r.file} could not be read: ${u.reason}`);
  }
  return out;
}
