// CSV import of the shared IBM (78,025 rows) and SkyGeni (5,000 rows) datasets into a fresh
// file-backed PGlite store, as `dealrisk import` does it: read → map → store.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readCsvDeals } from '../connectors/csv/index.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../src/mapping/load.ts';
import { openStore } from '../src/store/index.ts';

const DATASETS = path.resolve(MAPPINGS_DIR, '../../shared/datasets');
const cases = [
  { name: 'IBM', file: path.join(DATASETS, 'ibm-sales-win-loss/WA_Fn-UseC_-Sales-Win-Loss.csv'), mapping: 'ibm.csv.yaml' },
  { name: 'SkyGeni', file: path.join(DATASETS, 'skygeni-sales-synthetic/skygeni_sales_data.csv'), mapping: 'skygeni.csv.yaml' },
];

console.log('| dataset | rows | read + map s | store s | total s | rows/s | peak RSS MB |');
console.log('|---|---|---|---|---|---|---|');
for (const c of cases) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-bench-'));
  const store = await openStore({ dataDir: dir, encryptionKey: Buffer.alloc(32) });
  await store.tenants.ensure('bench');
  const t0 = performance.now();
  const read = await readCsvDeals({ file: c.file, mapping: loadMappingFile(path.join(MAPPINGS_DIR, c.mapping)), tenantId: 'bench' });
  const t1 = performance.now();
  for (let i = 0; i < read.deals.length; i += 5000) {
    await store.deals.upsertMany(
      'bench',
      read.deals.slice(i, i + 5000).map((deal) => ({ deal })),
      new Date(),
    );
  }
  const t2 = performance.now();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const total = (t2 - t0) / 1000;
  console.log(
    `| ${c.name} | ${read.rows} | ${((t1 - t0) / 1000).toFixed(2)} | ${((t2 - t1) / 1000).toFixed(2)} | ${total.toFixed(2)} | ${Math.round(read.rows / total)} | ${Math.round(process.resourceUsage().maxRSS / 1024)} |`,
  );
}
console.log(
  '\nStore opening (PGlite start + migrations, about 2-3 s) is not included; `time npx dealrisk import ...` shows the end-to-end figure.',
);
