import { writeFileSync } from 'node:fs';

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break. */
export const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Writes a header line and one line per row, every value whole. */
export function writeCsv<C extends string>(file: string, columns: readonly C[], rows: Iterable<Record<C, unknown>>): void {
  const lines = [columns.join(',')];
  for (const r of rows) lines.push(columns.map((c) => csvCell(r[c])).join(','));
  writeFileSync(file, `${lines.join('\n')}\n`);
}
