import { type CsvReadResult, describeLookups, readCsvDeals } from '../../../connectors/csv/index.ts';
import type { AppContext } from '../../context.ts';
import { AppError } from '../../core/errors.ts';
import { rememberFeatureLabels } from '../../mapping/labels.ts';
import { loadMappingFile } from '../../mapping/load.ts';
import type { RecordError } from '../../mapping/to-deal.ts';
import { type CliDeps, report } from '../deps.ts';
import { progressBar } from '../progress.ts';

const SHOWN = 20;
const CHUNK = 5000;

export interface ImportOptions {
  mapping: string;
  file: string;
  tenant: string;
  json?: boolean;
}

/** `dealrisk import` (declared in ../program.ts). */
export async function runImport(deps: CliDeps, o: ImportOptions): Promise<void> {
  const started = performance.now();
  const mapping = loadMappingFile(o.mapping);
  const ctx = await deps.context();
  await ctx.store.tenants.ensure(o.tenant);
  await rememberFeatureLabels(ctx.store, o.tenant, mapping);
  const showBars = deps.interactive && !o.json;
  const reading = progressBar(showBars, 'read ', 0);
  const read = await readCsvDeals({ file: o.file, mapping, tenantId: o.tenant, onProgress: (n) => reading.update(n) });
  reading.stop();
  if (read.rows === 0)
    throw new AppError('input_invalid', `${o.file}: no data rows to import (the file is empty or has only a header line)`, {
      path: o.file,
    });
  const stored = await storeAll(ctx, o.tenant, read, progressBar(showBars, 'store', read.deals.length));
  const refused = new Set(stored.rejected.map((r) => r.recordId));
  const imported = read.deals.filter((d) => !refused.has(d.externalId));
  const rejected = [...read.rejected, ...stored.rejected].sort((a, b) => (a.row ?? 0) - (b.row ?? 0));
  const byStatus = { open: 0, won: 0, lost: 0 };
  for (const d of imported) byStatus[d.stage.status]++;
  const seconds = (performance.now() - started) / 1000;
  const { inserted, updated, unchanged } = stored;
  const result = {
    tenant: o.tenant,
    file: o.file,
    rows: read.rows,
    imported: imported.length,
    inserted,
    updated,
    unchanged,
    byStatus,
    rejected,
    replaced: read.replaced,
    cleaned: read.cleaned,
    lookups: read.lookups,
    seconds,
  };
  report(deps, o.json, result, () =>
    [
      `Imported ${imported.length} of ${read.rows} rows into tenant "${o.tenant}" in ${seconds.toFixed(1)} s ` +
        `(${inserted} new, ${updated} updated, ${unchanged} unchanged; ` +
        `${byStatus.open} open, ${byStatus.won} won, ${byStatus.lost} lost).`,
      ...describeLookups(read.lookups),
      ...listed(
        `${rejected.length} rows rejected:`,
        rejected.map((e) => `${lineAndId(e.row, e.recordId)}: ${e.field}: ${e.reason}`),
      ),
      ...listed(
        `${read.replaced.length} ids repeated: the later row is kept:`,
        read.replaced.map((r) => `${lineAndId(r.row, r.recordId)} replaces line ${r.replacedRow}`),
      ),
      ...listed(
        `${read.cleaned.length} fields stored with their text cleaned:`,
        read.cleaned.map((c) => `${lineAndId(c.row, c.recordId)}: ${c.field}: ${c.reason}`),
      ),
    ].join('\n'),
  );
  if (imported.length === 0) process.exitCode = 1;
}

/** "line 7 (id T12)": the line in the file, then the deal's id (left out when the row has none). */
const lineAndId = (row: number | undefined, id: string): string => `line ${row ?? '?'}${id === `line-${row}` ? '' : ` (id ${id})`}`;

/** A heading and the first SHOWN lines under it (nothing when there are none). */
function listed(heading: string, lines: string[]): string[] {
  if (lines.length === 0) return [];
  const more = lines.length > SHOWN ? [`  ... and ${lines.length - SHOWN} more (use --json for all)`] : [];
  return [heading, ...lines.slice(0, SHOWN).map((l) => `  ${l}`), ...more];
}

/**
 * Upserts the deals in chunks. A deal the database refuses is rejected alone with its line. Each
 * chunk is stored as it goes, and storing is an upsert: a run stopped half-way (the database went
 * away) is finished by running the same import again.
 */
async function storeAll(ctx: AppContext, tenant: string, read: CsvReadResult, bar: ReturnType<typeof progressBar>) {
  const totals = { inserted: 0, updated: 0, unchanged: 0, rejected: [] as RecordError[] };
  let done = 0;
  try {
    for (let i = 0; i < read.deals.length; i += CHUNK) {
      const r = await ctx.store.deals.upsertMany(
        tenant,
        read.deals.slice(i, i + CHUNK).map((deal) => ({ deal })),
        ctx.now(),
      );
      totals.inserted += r.inserted;
      totals.updated += r.updated;
      totals.unchanged += r.unchanged;
      for (const x of r.rejected)
        totals.rejected.push({
          recordId: x.externalId,
          row: read.lineOf.get(x.externalId) ?? 0,
          field: x.field ?? '(row)',
          reason: x.reason,
        });
      done += Math.min(CHUNK, read.deals.length - i);
      bar.update(done);
    }
  } catch (e) {
    throw new AppError(
      'internal',
      `stopped after storing ${done} of ${read.deals.length} deals: ${e instanceof Error ? e.message : String(e)}. Importing the same file again finishes it: rows already stored are left unchanged.`,
      { cause: e },
    );
  } finally {
    bar.stop();
  }
  return totals;
}
