import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { type CsvError, parse } from 'csv-parse';
import { AppError } from '../../src/core/errors.ts';
import { storableText } from '../../src/core/storable-text.ts';
import type { RawRecord, UnreadableRecord } from '../types.ts';

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
  // A quote left open is reported at the end of the file, with the lines it swallowed.
  let endReported = false;
  const onSkip = (err: CsvError | undefined): undefined => {
    if (!err) return undefined;
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') endReported = true;
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
  const rest = endReported ? null : await unreadRest(file, (parser as unknown as { info: { bytes: number } }).info.bytes, lastEnd);
  if (rest) unreadable.push(rest);
  if (page.length || unreadable.length) yield flush();
}

/**
 * csv-parse (6.2, skipping records with errors) reads nothing more after text that follows a
 * closing quote (`"Acme" Inc`, CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE): the stream ends as if
 * the file did. When it stopped before the last byte that is not white space, the lines after
 * the last one it accounted for are reported as not read, so nothing is lost without a word.
 * (Its line numbers count every CR and LF, so no line count of ours is compared with them.)
 */
async function unreadRest(file: string, bytesRead: number, lastEnd: number): Promise<UnreadableRecord | null> {
  if (bytesRead >= (await stat(file)).size) return null;
  const rest = (await readFile(file)).subarray(bytesRead).toString('utf8');
  if (!/\S/.test(rest)) return null;
  const start = lastEnd + 1;
  return {
    id: `line-${start}`,
    row: start,
    field: null,
    reason: `CSV_STOPPED: the CSV parser read nothing after line ${lastEnd}: lines ${start} to the end of the file were not read`,
  };
}
