import { createReadStream } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import type { Deal } from '../../src/core/deal.ts';
import { AppError } from '../../src/core/errors.ts';
import type { Mapping } from '../../src/core/mapping/schema.ts';
import { compileMapping, type RecordError } from '../../src/core/mapping/to-deal.ts';
import { storableText, storableValue } from '../../src/core/storable-text.ts';
import type { RawRecord, UnreadableRecord } from '../types.ts';

export interface CsvReadOptions {
  file: string;
  mapping: Mapping;
  tenantId: string;
  /** Called every `progressEvery` rows with the rows read so far. */
  onProgress?: (rows: number) => void;
  progressEvery?: number;
}

/** A row whose id was already used by an earlier row: the later row wins. */
export interface ReplacedRow {
  recordId: string;
  /** The line kept. */
  row: number;
  /** The earlier line it replaced. */
  replacedRow: number;
}

export interface CsvReadResult {
  /** One deal per id: a repeated id keeps its last row (see `replaced`). */
  deals: Deal[];
  /** Each row that could not be read or mapped: its line, field and reason. */
  rejected: RecordError[];
  replaced: ReplacedRow[];
  /** Fields whose text was changed so the database can store it (U+0000, lone surrogates). */
  cleaned: Array<{ recordId: string; row: number; field: string; reason: string }>;
  /** The line of each deal kept, by id. */
  lineOf: Map<string, number>;
  /** Data rows in the file, read or not. */
  rows: number;
}

/** One page of a CSV: the rows read, and the lines csv-parse could not read. */
export interface CsvPage {
  records: RawRecord[];
  unreadable: UnreadableRecord[];
}

/**
 * Streams CSV rows as raw records. `row` is the line number in the file (the header is line 1),
 * so an error points at the line a person sees in a spreadsheet. A malformed line (a stray quote,
 * an unclosed quote) is skipped by csv-parse and comes back in `unreadable` with its line and
 * csv-parse's reason; the rows around it are read as usual.
 */
export async function* readCsvRecords(file: string, pageSize = 1000): AsyncGenerator<CsvPage> {
  const unreadable: UnreadableRecord[] = [];
  // The last line parsed into a record or skipped (the header is line 1). Parsing runs ahead of
  // this generator's consumer, so it is tracked from the parser's own callbacks.
  let lastEnd = 1;
  const onSkip = (err: CsvError | undefined): undefined => {
    if (!err) return undefined;
    const end = Number((err as CsvError & { lines?: number }).lines ?? lastEnd + 1);
    // csv-parse may report several errors for one malformed record: the first one says why.
    if (end <= lastEnd) return undefined;
    const start = Math.min(lastEnd + 1, end);
    const column = (err as CsvError & { column?: unknown }).column;
    unreadable.push({
      id: `line-${start}`,
      row: start,
      field: typeof column === 'string' ? storableText(column) : null,
      reason: `${err.code}: ${storableText(err.message)}${end > start ? ` (lines ${start}-${end} were not read)` : ''}`,
    });
    lastEnd = end;
    return undefined;
  };
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      bom: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
      relax_column_count: true,
      skip_records_with_error: true,
      on_skip: onSkip,
      on_record: (record, context) => {
        lastEnd = context.lines;
        return record;
      },
    }),
  );
  let page: RawRecord[] = [];
  const flush = (): CsvPage => {
    const out = { records: page, unreadable: unreadable.splice(0) };
    page = [];
    return out;
  };
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      page.push({ id: `line-${info.lines}`, data: record, modifiedAt: null, row: info.lines });
      if (page.length >= pageSize) yield flush();
    }
  } catch (e) {
    throw new AppError('input_invalid', `${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  if (page.length || unreadable.length) yield flush();
}

/**
 * Reads a whole CSV through a mapping: good rows become deals; a row that cannot be read or
 * mapped is rejected with its line, field and reason; none stops the rest. Text the database
 * cannot store is cleaned and noted. A repeated id keeps its last row, as a later import of the
 * same id would, and `replaced` names both lines.
 */
export async function readCsvDeals(opts: CsvReadOptions): Promise<CsvReadResult> {
  const map = compileMapping(opts.mapping);
  const out: CsvReadResult = { deals: [], rejected: [], replaced: [], cleaned: [], lineOf: new Map(), rows: 0 };
  const at = new Map<string, number>();
  const every = opts.progressEvery ?? 5000;
  const counted = () => {
    out.rows++;
    if (opts.onProgress && out.rows % every === 0) opts.onProgress(out.rows);
  };
  for await (const page of readCsvRecords(opts.file)) {
    for (const u of page.unreadable) {
      out.rejected.push({ recordId: u.id, row: u.row!, field: u.field ?? '(row)', reason: u.reason });
      counted();
    }
    for (const raw of page.records) {
      counted();
      const data = storableValue(raw.data);
      const r = map({ ...raw, data: data.value }, { tenantId: opts.tenantId, source: 'csv' });
      if (!r.ok) {
        out.rejected.push(r.error);
        continue;
      }
      const id = r.deal.externalId;
      const row = raw.row!;
      for (const c of data.cleaned) out.cleaned.push({ recordId: id, row, field: c.path, reason: c.reason });
      const earlier = at.get(id);
      if (earlier === undefined) {
        at.set(id, out.deals.length);
        out.deals.push(r.deal);
      } else {
        out.replaced.push({ recordId: id, row, replacedRow: out.lineOf.get(id)! });
        out.deals[earlier] = r.deal;
      }
      out.lineOf.set(id, row);
    }
  }
  opts.onProgress?.(out.rows);
  out.rejected.sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  return out;
}
