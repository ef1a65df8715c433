/** Widest a cell gets in the terminal; longer text is cut there, and the table says so. */
export const CELL_WIDTH = 40;

/**
 * A plain fixed-width text table for terminal output. A cell longer than `width` is cut and ends
 * in "…", and a line under the table says text was cut and where the whole of it is (`cutNote`).
 */
export function table<T extends Record<string, unknown>>(
  rows: T[],
  columns: Array<keyof T & string>,
  o: { width?: number; cutNote?: string } = {},
): string {
  const max = o.width ?? CELL_WIDTH;
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'number' ? v.toLocaleString('en-US') : String(v));
  const widths = columns.map((c) => Math.min(max, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  let cut = false;
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        if (v.length <= widths[i]!) return v.padEnd(widths[i]!);
        cut = true;
        return `${v.slice(0, widths[i]! - 1)}…`;
      })
      .join('  ')
      .trimEnd();
  const lines = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))];
  if (cut) lines.push(`Text longer than ${max} characters is cut here (…); ${o.cutNote ?? '--json prints it in full'}.`);
  return lines.join('\n');
}
