import type { Deal } from '../../src/core/deal.ts';
import { storableValue } from '../../src/core/storable-text.ts';
import type { Mapping } from '../../src/mapping/schema.ts';
import { compileMapping, type RecordError } from '../../src/mapping/to-deal.ts';
import { type LookupReport, openLookups } from './lookups.ts';
import { readCsvRecords } from './read-records.ts';

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
  /** The mapping's lookup files: rows read, repeated keys, rows that matched nothing. */
  lookups: LookupReport[];
}

/**
 * Reads a whole CSV through a mapping: good rows become deals; a row that cannot be read or
 * mapped is rejected with its line, field and reason; none stops the rest. The mapping's lookup
 * files are read first and joined to each row (see lookups.ts). Text the database
 * cannot store is cleaned and noted. A repeated id keeps its last row, as a later import of the
 * same id would, and `replaced` names both lines.
 */
export async function readCsvDeals(opts: CsvReadOptions): Promise<CsvReadResult> {
  const map = compileMapping(opts.mapping);
  const lookups = await openLookups(opts.mapping, opts.file);
  const out: CsvReadResult = {
    deals: [],
    rejected: [],
    replaced: [],
    cleaned: [],
    lineOf: new Map(),
    rows: 0,
    lookups: lookups?.reports ?? [],
  };
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
    for (const record of page.records) {
      counted();
      const joined = lookups ? lookups.join(record) : { ok: true as const, record };
      if (!joined.ok) {
        out.rejected.push(joined.error);
        continue;
      }
      const raw = joined.record;
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
