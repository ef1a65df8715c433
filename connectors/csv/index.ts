import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Mapping } from '../../src/mapping/schema.ts';
import type {
  ApiUsage,
  Connector,
  DealUpdate,
  FetchPage,
  RawRecord,
  SetupReport,
  SourceField,
  TaskRequest,
  TaskResult,
  WriteResult,
} from '../types.ts';
import { fieldsFromRecords } from './describe-fields.ts';
import { type CsvLookups, openLookups } from './lookups.ts';
import { type CsvPage, readCsvRecords } from './read-records.ts';

export { fieldsFromRecords } from './describe-fields.ts';
export { describeLookups, type LookupReport, openLookups } from './lookups.ts';
export { type CsvReadResult, type ReplacedRow, readCsvDeals } from './read-csv.ts';
export { type CsvPage, readCsvRecords } from './read-records.ts';

export interface CsvConnectorOptions {
  tenantId: string;
  mapping: Mapping;
  file: string;
  pageSize?: number;
}

/** Rows read to list a file's columns and guess their types. */
const DESCRIBE_ROWS = 200;

/** What the CSV connector was asked to write: files have no fields to write into. */
export interface CsvWriteLog {
  updates: DealUpdate[];
  tasks: TaskRequest[];
}

/** Joins a page's rows to their lookups; a row that cannot be joined comes back unreadable, by name. */
function joinPage(page: CsvPage, lookups: CsvLookups): FetchPage {
  const records: RawRecord[] = [];
  const unreadable = [...page.unreadable];
  for (const rec of page.records) {
    const j = lookups.join(rec);
    if (j.ok) records.push(j.record);
    else
      unreadable.push({
        id: j.error.recordId,
        ...(rec.row !== undefined ? { row: rec.row } : {}),
        field: j.error.field,
        reason: j.error.reason,
      });
  }
  return { records, unreadable, deletedIds: [], cursor: null };
}

/**
 * A file as a source: every sync re-reads the file when its content or a lookup file's changed
 * (the cursor is their content hash) and keeps what would be written back in `written`, so the
 * sync engine can be exercised end to end without a CRM.
 */
export function createCsvConnector(
  opts: CsvConnectorOptions,
): Connector & { written: CsvWriteLog; describeFields(): Promise<SourceField[]> } {
  let calls = 0;
  const written: CsvWriteLog = { updates: [], tasks: [] };
  const taskKeys = new Set<string>();
  return {
    source: 'csv',
    mapping: opts.mapping,
    written,
    async setup(): Promise<SetupReport> {
      return { created: [], existing: [], warnings: ['CSV sources have no fields to create'] };
    },
    async *fetchChanges({ cursor }): AsyncIterable<FetchPage> {
      calls++;
      const lookups = await openLookups(opts.mapping, opts.file);
      const hash = createHash('sha256');
      for (const file of [opts.file, ...(lookups?.files ?? [])]) hash.update(await readFile(file));
      const digest = hash.digest('hex');
      if (digest === cursor) return;
      let last: FetchPage | null = null;
      for await (const page of readCsvRecords(opts.file, opts.pageSize ?? 1000)) {
        if (last) yield last;
        last = lookups ? joinPage(page, lookups) : { ...page, deletedIds: [], cursor: null };
      }
      // Only the last page carries the cursor: a crash mid-file re-reads the file.
      yield { records: last?.records ?? [], unreadable: last?.unreadable ?? [], deletedIds: [], cursor: digest };
    },
    async writeBack(updates): Promise<WriteResult[]> {
      calls++;
      written.updates.push(...updates);
      return updates.map((u) => ({ externalId: u.externalId, ok: true }));
    },
    async upsertTasks(tasks): Promise<TaskResult[]> {
      calls++;
      return tasks.map((t) => {
        if (taskKeys.has(t.key)) return { key: t.key, ok: true, status: 'open' as const };
        taskKeys.add(t.key);
        written.tasks.push(t);
        return { key: t.key, ok: true, status: 'created' as const, taskId: `task-${taskKeys.size}` };
      });
    },
    usage(): ApiUsage {
      return { calls };
    },
    recordUrl: () => null,
    /** The file's columns and its lookups' (`accounts.Industry`), typed from the first rows. */
    async describeFields(): Promise<SourceField[]> {
      const lookups = await openLookups(opts.mapping, opts.file);
      for await (const page of readCsvRecords(opts.file, DESCRIBE_ROWS)) {
        return fieldsFromRecords(lookups ? joinPage(page, lookups).records : page.records);
      }
      return [];
    },
  };
}
