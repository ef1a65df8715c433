import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import type { Deal } from '../../src/core/deal.ts';
import { AppError } from '../../src/core/errors.ts';
import type { Mapping } from '../../src/core/mapping/schema.ts';
import { compileMapping, type RecordError } from '../../src/core/mapping/to-deal.ts';
import type { RawRecord } from '../types.ts';

export interface CsvReadOptions {
  file: string;
  mapping: Mapping;
  tenantId: string;
  /** Called every `progressEvery` rows with the rows read so far. */
  onProgress?: (rows: number) => void;
  progressEvery?: number;
}

export interface CsvReadResult {
  deals: Deal[];
  /** One entry per row that could not be mapped: its line number, field and reason. */
  rejected: RecordError[];
  rows: number;
}

/**
 * Streams CSV rows as raw records. `row` is the line number in the file (the header is line 1),
 * so an error points at the line a person sees in a spreadsheet.
 */
export async function* readCsvRecords(file: string, pageSize = 1000): AsyncGenerator<RawRecord[]> {
  const parser = createReadStream(file).pipe(
    parse({ columns: true, bom: true, skip_empty_lines: true, trim: true, info: true, relax_column_count: true }),
  );
  let page: RawRecord[] = [];
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      page.push({ id: `line-${info.lines}`, data: record, modifiedAt: null, row: info.lines });
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  } catch (e) {
    throw new AppError('input_invalid', `${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
  if (page.length) yield page;
}

/** Reads a whole CSV through a mapping: good rows become deals, bad rows are reported, none stop the rest. */
export async function readCsvDeals(opts: CsvReadOptions): Promise<CsvReadResult> {
  const map = compileMapping(opts.mapping);
  const out: CsvReadResult = { deals: [], rejected: [], rows: 0 };
  const every = opts.progressEvery ?? 5000;
  for await (const page of readCsvRecords(opts.file)) {
    for (const rec of page) {
      const r = map(rec, { tenantId: opts.tenantId, source: 'csv' });
      if (r.ok) out.deals.push(r.deal);
      else out.rejected.push(r.error);
      out.rows++;
      if (opts.onProgress && out.rows % every === 0) opts.onProgress(out.rows);
    }
  }
  opts.onProgress?.(out.rows);
  return out;
}
