import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/crm-limits.md is the witness's rule book: every vendor rule the connectors depend on, with
 * the vendor's source and the test that proves the connector stays inside it against the sandbox.
 * A row without a source, or naming a test that does not exist, is a rule nobody checks.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const doc = readFileSync(path.join(root, 'docs/crm-limits.md'), 'utf8');

interface Row {
  crm: string;
  line: number;
  cells: string[];
}

function tableRows(md: string): Row[] {
  const rows: Row[] = [];
  let crm = '';
  md.split('\n').forEach((text, i) => {
    const heading = /^## (.+)$/.exec(text);
    if (heading) crm = heading[1]!.trim();
    if (!text.startsWith('|') || /^\|[-\s|]+\|$/.test(text) || /^\| rule \|/.test(text)) return;
    // Split on pipes that are not escaped (`\|`) and not inside backticks.
    const cells: string[] = [];
    let cur = '';
    let code = false;
    for (let k = 1; k < text.length; k++) {
      const c = text[k]!;
      if (c === '`') code = !code;
      if (c === '|' && !code && text[k - 1] !== '\\') {
        cells.push(cur.trim());
        cur = '';
      } else cur += c;
    }
    rows.push({ crm, line: i + 1, cells });
  });
  return rows;
}

const rows = tableRows(doc);

/** `test/x/y.test.ts` (optionally followed by › or a quoted test name). */
function testRefs(cell: string): Array<{ file: string; name: string | null }> {
  const out: Array<{ file: string; name: string | null }> = [];
  const re = /`?(test\/[\w./-]+\.test\.ts)`?(?:\s*(?:›|>|:)\s*["“']([^"”']+)["”'])?/g;
  for (const m of cell.matchAll(re)) out.push({ file: m[1]!, name: m[2] ?? null });
  return out;
}

describe('docs/crm-limits.md', () => {
  it('has rules for both CRMs', () => {
    expect(rows.filter((r) => r.crm === 'HubSpot').length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.crm === 'Salesforce').length).toBeGreaterThan(10);
  });

  it('gives every rule five columns: rule, source, connector, sandbox, test', () => {
    const bad = rows.filter((r) => r.cells.length !== 5 || r.cells.some((c) => c === ''));
    expect(bad.map((r) => `line ${r.line}: ${r.cells.length} cells`)).toEqual([]);
  });

  it("cites the vendor for every rule: a URL, a spec path or the vendor's own error text", () => {
    const vendor = /https?:\/\/|PublicApiSpecs\/|["“].+["”]|docs are silent|undocumented/i;
    const bad = rows.filter((r) => !vendor.test(r.cells[1] ?? ''));
    expect(bad.map((r) => `line ${r.line}: ${r.cells[0]}`)).toEqual([]);
  });

  it('names, for every rule, a test file that exists and the test in it', () => {
    const bad: string[] = [];
    for (const r of rows) {
      const refs = testRefs(r.cells[4] ?? '');
      if (refs.length === 0) bad.push(`line ${r.line}: no test named`);
      for (const ref of refs) {
        const file = path.join(root, ref.file);
        if (!existsSync(file)) bad.push(`line ${r.line}: ${ref.file} does not exist`);
        else if (ref.name && !readFileSync(file, 'utf8').includes(ref.name))
          bad.push(`line ${r.line}: no test "${ref.name}" in ${ref.file}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
