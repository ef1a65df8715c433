import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The arrows of the layout (STYLE.md §1, issue 17), checked on the import graph. An edge's `to`
 * is a repository path (`src/log.ts`) for a relative import, else the bare specifier (`zod`, `node:fs`).
 */
export interface Edge {
  from: string;
  to: string;
}

/**
 * What src/core may import from outside itself: packages that do no I/O. `node:crypto` hashes
 * (deal-hash.ts); `zod` validates. Not `node:fs`, `express`, `winston`, a CRM SDK or the clock's owner.
 */
export const CORE_MAY_IMPORT: ReadonlySet<string> = new Set(['node:crypto', 'zod']);

/** The app's logger and the mapping loaders (files, the database): the caller hands a connector what they produce. */
export const CONNECTORS_MAY_NOT_IMPORT: ReadonlySet<string> = new Set([
  'src/log.ts',
  'src/mapping/load.ts',
  'src/mapping/resolve.ts',
  'src/mapping/labels.ts',
  'src/mapping/schema-file.ts',
  'src/mapping/write-schema.ts',
]);

/** The only product files that start the sandbox CRM: `npm start` without CRM credentials, and `dealrisk sandbox`. */
export const SANDBOX_WIRING: ReadonlySet<string> = new Set(['src/main.ts', 'src/cli/commands/sandbox.ts']);

const under = (dir: string, file: string): boolean => file.startsWith(`${dir}/`);

/** Every edge that breaks an arrow, said as a sentence naming both ends. */
export function arrowViolations(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    if (under('src/core', from) && !under('src/core', to) && !CORE_MAY_IMPORT.has(to)) {
      out.push(`${from} imports ${to}: src/core imports only src/core and ${[...CORE_MAY_IMPORT].join(', ')}`);
    }
    if (under('connectors', from) && CONNECTORS_MAY_NOT_IMPORT.has(to)) {
      out.push(`${from} imports ${to}: connectors take a logger and a mapping from their caller`);
    } else if (under('connectors', from) && under('src', to) && !under('src/core', to) && !under('src/mapping', to)) {
      out.push(`${from} imports ${to}: connectors use only src/core and the mapping language from src`);
    }
    if (under('src/server', from) && under('src/worker', to)) {
      out.push(`${from} imports ${to}: the web server does not import the worker`);
    }
    if ((under('src', from) || under('connectors', from)) && under('sandbox', to) && !SANDBOX_WIRING.has(from)) {
      out.push(`${from} imports ${to}: only ${[...SANDBOX_WIRING].join(' and ')} wire the sandbox CRM`);
    }
    if (under('sandbox', from) && under('connectors', to)) {
      out.push(`${from} imports ${to}: the sandbox is a witness and never reads the connectors' code (STYLE.md §10)`);
    }
  }
  return out;
}

/** The import specifiers of one file: static, type-only, re-exports, side-effect and dynamic imports. */
export function importSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

/** The edges of one file at repository path `file`, relative specifiers resolved against it. */
export function edgesOf(file: string, source: string): Edge[] {
  return importSpecifiers(source).map((spec) => ({
    from: file,
    to: spec.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : spec,
  }));
}

/** Every .ts file under `dirs` (repository paths), with its edges. */
export function importGraph(root: string, dirs: readonly string[]): { files: string[]; edges: Edge[] } {
  const files: string[] = [];
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory() && e.name !== 'node_modules') walk(child);
      else if (e.isFile() && /\.(ts|mts|cts)$/.test(e.name)) files.push(child);
    }
  };
  for (const d of dirs) walk(d);
  const edges = files.flatMap((f) => edgesOf(f, readFileSync(path.join(root, f), 'utf8')));
  return { files, edges };
}
