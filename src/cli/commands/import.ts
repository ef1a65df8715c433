import type { Command } from 'commander';
import { readCsvDeals } from '../../../connectors/csv/index.ts';
import { loadMappingFile } from '../../mappings/load.ts';
import { report, type CliDeps } from '../deps.ts';
import { progressBar } from '../progress.ts';

const SHOWN_ERRORS = 20;

export function register(program: Command, deps: CliDeps): void {
  program
    .command('import')
    .description('import deals from a CSV file through a mapping file')
    .requiredOption('--mapping <file>', 'mapping file (YAML), e.g. mappings/ibm.csv.yaml')
    .requiredOption('--file <csv>', 'CSV file to import')
    .option('--tenant <id>', 'tenant to import into', 'local')
    .option('--json', 'print the result as JSON')
    .action(async (o: { mapping: string; file: string; tenant: string; json?: boolean }) => {
      const started = performance.now();
      const mapping = loadMappingFile(o.mapping);
      const ctx = await deps.context();
      await ctx.store.tenants.ensure(o.tenant);
      const showBars = deps.interactive && !o.json;
      const reading = progressBar(showBars, 'read ', 0);
      const read = await readCsvDeals({ file: o.file, mapping, tenantId: o.tenant, onProgress: (n) => reading.update(n) });
      reading.stop();
      const saving = progressBar(showBars, 'store', read.deals.length);
      const CHUNK = 5000;
      let stored = 0;
      const totals = { inserted: 0, updated: 0, unchanged: 0 };
      for (let i = 0; i < read.deals.length; i += CHUNK) {
        const r = await ctx.store.deals.upsertMany(o.tenant, read.deals.slice(i, i + CHUNK).map((deal) => ({ deal })), ctx.now());
        totals.inserted += r.inserted;
        totals.updated += r.updated;
        totals.unchanged += r.unchanged;
        stored += Math.min(CHUNK, read.deals.length - i);
        saving.update(stored);
      }
      saving.stop();
      const byStatus = { open: 0, won: 0, lost: 0 };
      for (const d of read.deals) byStatus[d.stage.status]++;
      const seconds = (performance.now() - started) / 1000;
      const result = { tenant: o.tenant, file: o.file, rows: read.rows, imported: read.deals.length, ...totals, byStatus, rejected: read.rejected, seconds };
      report(deps, o.json, result, () => {
        const lines = [
          `Imported ${read.deals.length} of ${read.rows} rows into tenant "${o.tenant}" in ${seconds.toFixed(1)} s ` +
            `(${totals.inserted} new, ${totals.updated} updated, ${totals.unchanged} unchanged; ` +
            `${byStatus.open} open, ${byStatus.won} won, ${byStatus.lost} lost).`,
        ];
        if (read.rejected.length) {
          lines.push(`${read.rejected.length} rows rejected:`);
          for (const e of read.rejected.slice(0, SHOWN_ERRORS)) lines.push(`  line ${e.row ?? '?'} (${e.recordId}): ${e.field}: ${e.reason}`);
          if (read.rejected.length > SHOWN_ERRORS) lines.push(`  ... and ${read.rejected.length - SHOWN_ERRORS} more (use --json for all)`);
        }
        return lines.join('\n');
      });
      if (read.rejected.length && read.deals.length === 0) process.exitCode = 1;
    });
}
