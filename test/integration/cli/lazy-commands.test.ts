import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CliDeps } from '../../../src/cli/deps.ts';
import { buildProgram } from '../../../src/cli/program.ts';

// What a user runs: `npx dealrisk ...` is `node bin/dealrisk.js ...`, which loads tsx itself.
const BIN = path.resolve(import.meta.dirname, '../../../bin/dealrisk.js');
const RECORD = path.resolve(import.meta.dirname, '../../helpers/record-packages.mjs');
const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-cli-lazy-'));
let n = 0;

/** Runs the binary; `packages` are the npm packages whose modules the process loaded. */
function dealrisk(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string; err: string; packages: Set<string> }> {
  const file = path.join(dir, `loaded-${n++}.txt`);
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', RECORD, BIN, ...args], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        DATA_DIR: path.join(dir, 'data'),
        ENCRYPTION_KEY: Buffer.alloc(32, 4).toString('base64'),
        LOG_LEVEL: 'error',
        RECORD_PACKAGES: file,
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code) =>
      resolve({ code, out, err, packages: new Set(existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []) }),
    );
  });
}

const SDKS = ['jsforce', '@hubspot/api-client', 'express', 'csv-parse', 'ml-matrix', 'nodemailer', 'node-cron'];
const DATABASE = ['kysely', '@electric-sql/pglite', 'pg', 'zod'];

describe('dealrisk loads a command only when it runs', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists every command, and loads neither the database nor any SDK', async () => {
    const r = await dealrisk(['--help']);
    expect(r.code, r.err).toBe(0);
    const names = buildProgram({} as CliDeps).commands.map((c) => c.name());
    expect(names).toEqual(['deals', 'evaluate', 'import', 'insights', 'metrics', 'migrate', 'sandbox', 'score', 'sync', 'train']);
    for (const name of names) expect(r.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    for (const pkg of [...SDKS, ...DATABASE]) expect(r.packages, pkg).not.toContain(pkg);
    expect(existsSync(path.join(dir, 'data')), 'no database was opened').toBe(false);
  });

  it("a command's --help lists its options without loading it", async () => {
    const r = await dealrisk(['deals', 'list', '--help']);
    expect(r.code, r.err).toBe(0);
    for (const option of ['--stage <status>', '--limit <n>', '--tenant <id>', '--json']) expect(r.out).toContain(option);
    for (const pkg of [...SDKS, ...DATABASE]) expect(r.packages, pkg).not.toContain(pkg);
  });

  it('--help works before the environment is valid', async () => {
    const r = await dealrisk(['--help'], { PORT: 'not a port' });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Commands:');
  });

  it('deals list opens the database and loads no CRM SDK, web server or model library', { timeout: 120_000 }, async () => {
    const r = await dealrisk(['deals', 'list', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ tenant: 'local', counts: { open: 0, won: 0, lost: 0 } });
    expect(r.packages).toContain('kysely');
    for (const pkg of SDKS) expect(r.packages, pkg).not.toContain(pkg);
  });
});
