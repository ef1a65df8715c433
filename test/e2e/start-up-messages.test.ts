import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from '../helpers/child-process.ts';

// What a person sees: `npm start` names the address to open and warns once about the development
// key; `npx dealrisk` on local files warns about nothing; `localhost` leads to that address.
const MAIN = path.resolve(import.meta.dirname, '../../src/main.ts');
const BIN = path.resolve(import.meta.dirname, '../../bin/dealrisk.js');
const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-e2e-start-'));
const started: Child[] = [];
const base = {
  DATABASE_URL: undefined,
  ENCRYPTION_KEY: '',
  SESSION_SECRET: '',
  APP_URL: '',
  NODE_ENV: 'development',
  LOG_FORMAT: 'json',
  LOG_LEVEL: 'info',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

function get(port: number, host: string, p: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: p, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location }));
    });
    req.on('error', reject);
    req.end();
  });
}

const warnings = (text: string): string[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: string; message: string })
    .filter((l) => l.level === 'warn')
    .map((l) => l.message);

describe('start-up messages and the address to open', () => {
  afterAll(() => {
    for (const c of started) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('a command on local files, on a fresh data directory without ENCRYPTION_KEY, warns about nothing', { timeout: 120_000 }, async () => {
    const c = spawnChild([BIN, 'deals', 'list', '--json'], { ...base, DATA_DIR: path.join(dir, 'cli-only'), LOG_FORMAT: 'pretty' });
    started.push(c);
    const r = await c.exited;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
  });

  it('npm start prints APP_URL, warns once about the development key, and sends localhost there', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const app = spawnChild([MAIN], { ...base, DATA_DIR: path.join(dir, 'app'), ROLE: 'web', SANDBOX: 'false', PORT: String(port) });
    started.push(app);
    const line = await app.line(/dealrisk is running/, 150_000);
    expect(JSON.parse(line)).toMatchObject({
      message: `dealrisk is running: open http://127.0.0.1:${port} (APP_URL, from HOST and PORT)`,
      appUrl: `http://127.0.0.1:${port}`,
    });
    await app.line(/ENCRYPTION_KEY is not set/, 10_000);
    const said = warnings(app.output());
    expect(said.filter((m) => m.includes('ENCRYPTION_KEY'))).toEqual([
      'ENCRYPTION_KEY is not set: CRM tokens are encrypted with a development key; set ENCRYPTION_KEY in production',
    ]);
    expect(said.filter((m) => m.includes('SESSION_SECRET'))).toHaveLength(1);
    expect(await get(port, `localhost:${port}`, '/oauth/salesforce/start?purpose=signin')).toEqual({
      status: 302,
      location: `http://127.0.0.1:${port}/oauth/salesforce/start?purpose=signin`,
    });

    // A command beside the running app goes through it and warns about nothing either.
    const cli = spawnChild([BIN, 'deals', 'list', '--json'], { ...base, DATA_DIR: path.join(dir, 'app'), LOG_FORMAT: 'pretty' });
    started.push(cli);
    const r = await cli.exited;
    expect(r.code, r.err).toBe(0);
    expect(r.err).toBe('');
  });
});
