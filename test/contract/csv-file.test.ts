import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { createCsvConnector } from '../../connectors/csv/index.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../../src/mapping/load.ts';
import { connectorContract, type SourceHandle } from './connector-contract.ts';

/**
 * The CSV connector over a file on disk, seeded with the first rows of the SkyGeni dataset that
 * mappings/skygeni.csv.yaml reads (../shared/datasets). Pages of 10 rows, so 45 rows make 5 pages.
 */
const DATASET = new URL('../../../shared/datasets/skygeni-sales-synthetic/skygeni_sales_data.csv', import.meta.url);
const mapping = loadMappingFile(path.join(MAPPINGS_DIR, 'skygeni.csv.yaml'));
const PAGE_SIZE = 10;

type Row = Record<string, string>;

function toCsv(columns: string[], rows: Row[]): string {
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c] ?? '')).join(','))].join('\n')}\n`;
}

async function make(size: 'paged' | 'small'): Promise<SourceHandle> {
  const rows = parse(await readFile(DATASET), { columns: true, to: size === 'paged' ? 45 : 12 }) as Row[];
  const columns = Object.keys(rows[0]!);
  const dir = await mkdtemp(path.join(tmpdir(), 'contract-csv-'));
  const file = path.join(dir, 'deals.csv');
  const save = () => writeFile(file, toCsv(columns, rows));
  await save();
  return {
    connect: async () => createCsvConnector({ tenantId: 't-contract', mapping, file, pageSize: PAGE_SIZE }),
    now: () => new Date(),
    // A file has no clock of its own: its content hash is the cursor.
    elapse: async () => undefined,
    liveIds: async () => rows.map((r) => r.deal_id!),
    edit: async (ids) => {
      for (const r of rows) if (ids.includes(r.deal_id!)) r.deal_amount = String(Number(r.deal_amount) + 1);
      await save();
    },
    create: async (count) => {
      const made = Array.from({ length: count }, (_, i) => ({ ...rows[i % rows.length]!, deal_id: `NEW${rows.length + i + 1}` }));
      rows.push(...made);
      await save();
      return made.map((r) => r.deal_id!);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

const noCrm = 'a CSV file is read-only input';
connectorContract('csv over a file', {
  make,
  timeoutMs: 15_000,
  skip: {
    deletes: 'a CSV file carries no deletions: a row missing from a re-read file is not reported (deletedIds is always empty)',
    restores: 'a CSV file carries no deletions, so nothing is restored',
    writeBack: `${noCrm}: writeBack only logs the updates in memory, nothing can refuse one or be read back`,
    tasks: `${noCrm}: upsertTasks only logs in memory per connector instance, there is no CRM to hold a task`,
    revokedToken: 'a file has no token',
    exhaustedQuota: 'a file has no API quota',
    fetchByIds:
      'a file sends no webhook and cannot be asked for one row: the CSV connector has no fetchByIds, so real time leaves a file to the regular sync (realtimeScope)',
    changedSince: 'a file is only read whole: the CSV connector has no changedSince, so the worker polls no file',
  },
});
