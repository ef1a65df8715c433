import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { arrowViolations, edgesOf, importGraph } from './arrows.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('the arrows of the layout', () => {
  it('hold on every file of src/, connectors/ and sandbox/', () => {
    const { files, edges } = importGraph(ROOT, ['src', 'connectors', 'sandbox']);
    // A walk that found nothing would pass whatever the code does.
    expect(files.length).toBeGreaterThan(300);
    expect(edges.some((e) => e.from === 'src/main.ts' && e.to === 'sandbox/index.ts')).toBe(true);
    expect(arrowViolations(edges)).toEqual([]);
  });
});

describe('the arrow checker', () => {
  const check = (file: string, source: string) => arrowViolations(edgesOf(file, source));

  it('reads static, type-only, re-exported, side-effect and dynamic imports, not comments or strings', () => {
    const source = [
      "import type { Logger } from '../../src/log.ts';",
      "export * from './a.ts';",
      "import './side-effect.ts';",
      "const lazy = await import('../b.ts');",
      "// import { x } from '../../src/worker/index.ts';",
      'const s = "import y from \'node:fs\'";',
    ].join('\n');
    expect(edgesOf('connectors/salesforce/x.ts', source).map((e) => e.to)).toEqual([
      'src/log.ts',
      'connectors/salesforce/a.ts',
      'connectors/salesforce/side-effect.ts',
      'connectors/b.ts',
    ]);
  });

  it('lets src/core import src/core, node:crypto and zod, and nothing else', () => {
    expect(
      check('src/core/a/b.ts', "import { z } from 'zod';\nimport { createHash } from 'node:crypto';\nimport { c } from '../c.ts';"),
    ).toEqual([]);
    expect(check('src/core/a.ts', "import { readFileSync } from 'node:fs';")).toEqual([
      'src/core/a.ts imports node:fs: src/core imports only src/core and node:crypto, zod',
    ]);
    expect(check('src/core/a.ts', "import type { Store } from '../store/index.ts';")).toHaveLength(1);
    expect(check('src/core/a.ts', "import type { Connector } from '../../connectors/types.ts';")).toHaveLength(1);
    expect(check('src/core/a.ts', "import express from 'express';")).toHaveLength(1);
  });

  it("keeps the app's logger, the mapping loaders and the rest of src out of connectors/", () => {
    expect(check('connectors/hubspot/a.ts', "import type { Logger } from '../../src/log.ts';")).toEqual([
      'connectors/hubspot/a.ts imports src/log.ts: connectors take a logger and a mapping from their caller',
    ]);
    for (const loader of ['load', 'resolve', 'labels', 'schema-file', 'write-schema']) {
      expect(check('connectors/salesforce/a.ts', `import { x } from '../../src/mapping/${loader}.ts';`)).toHaveLength(1);
    }
    expect(check('connectors/csv/a.ts', "import { x } from '../../src/sync/run-sync.ts';")).toHaveLength(1);
    expect(
      check(
        'connectors/csv/a.ts',
        "import { Mapping } from '../../src/mapping/schema.ts';\nimport { AppError } from '../../src/core/errors.ts';",
      ),
    ).toEqual([]);
  });

  it('keeps the worker out of the web server', () => {
    expect(check('src/server/adapters/a.ts', "import { x } from '../../worker/digest.ts';")).toEqual([
      'src/server/adapters/a.ts imports src/worker/digest.ts: the web server does not import the worker',
    ]);
    expect(check('src/server/adapters/a.ts', "import { x } from '../../sync/digest.ts';")).toEqual([]);
  });

  it('lets only main.ts and the sandbox command start the sandbox, and keeps the sandbox from reading connectors', () => {
    expect(check('src/main.ts', "import { startSandbox } from '../sandbox/index.ts';")).toEqual([]);
    expect(check('src/cli/commands/sandbox.ts', "import { startSandbox } from '../../../sandbox/index.ts';")).toEqual([]);
    expect(check('src/sync/make-connector.ts', "import type { Sandbox } from '../../sandbox/index.ts';")).toEqual([
      'src/sync/make-connector.ts imports sandbox/index.ts: only src/main.ts and src/cli/commands/sandbox.ts wire the sandbox CRM',
    ]);
    expect(check('connectors/hubspot/a.ts', "import { x } from '../../sandbox/hubspot/limits.ts';")).toHaveLength(1);
    expect(check('sandbox/hubspot/a.ts', "import { BATCH } from '../../connectors/hubspot/batching.ts';")).toHaveLength(1);
  });
});
