import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Child, spawnChild } from '../../helpers/child-process.ts';

// PGlite is one process's database. These run real processes on one data directory, as
// `npm start` and `npx dealrisk ...` do, and check that none of them can corrupt or lose data.
const CHILD = path.join(import.meta.dirname, 'fixtures/db-child.ts');
const dirs: string[] = [];
const running: Child[] = [];
afterEach(() => {
  for (const c of running.splice(0)) c.kill('SIGKILL');
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-share-'));
  dirs.push(dir);
  return path.join(dir, 'pglite');
}

function child(dir: string, action: string, env: Record<string, string> = {}): Child {
  const c = spawnChild([CHILD], { DB_DIR: dir, ACTION: action, DATABASE_URL: undefined, ...env });
  running.push(c);
  return c;
}

async function read(dir: string): Promise<{ n: number; log: Array<{ who: string; i: number }> }> {
  const r = child(dir, 'read');
  const exit = await r.exited;
  expect(exit.code, exit.err).toBe(0);
  return JSON.parse(exit.out.trim().split('\n').at(-1)!);
}

describe('one PGlite data directory, several processes', () => {
  it('runs transactions from the app and two commands at once without losing or mixing any', { timeout: 180_000 }, async () => {
    const dir = dataDir();
    const app = child(dir, 'counter', { SHARE_ROLE: 'app', WHO: 'app', COUNT: '60' });
    await app.line(/^ready$/);
    const commands = ['cli-1', 'cli-2'].map((who) => child(dir, 'counter', { WHO: who, COUNT: '60' }));
    await Promise.all(commands.map((c) => c.line(/^ready$/)));
    for (const c of [app, ...commands]) c.send('go');

    // 60 transactions each, every fifth rolled back: 48 committed per process.
    for (const c of [app, ...commands]) expect(await c.line(/^done /, 120_000)).toBe('done 48');
    for (const c of commands) c.send('stop');
    for (const c of commands) expect((await c.exited).code).toBe(0);
    const seen = await read(dir);
    expect(seen.n).toBe(3 * 48);
    for (const who of ['app', 'cli-1', 'cli-2']) {
      expect(seen.log.filter((l) => l.who === who).map((l) => l.i)).toEqual([...Array(60).keys()].filter((i) => i % 5 !== 4));
    }
    app.send('stop');
    expect((await app.exited).code).toBe(0);
  });

  it('rolls back a command killed inside its transaction, and the app goes on', { timeout: 120_000 }, async () => {
    const dir = dataDir();
    const app = child(dir, 'counter', { SHARE_ROLE: 'app', WHO: 'app', COUNT: '10' });
    await app.line(/^ready$/);
    const holder = child(dir, 'hold-tx', { WHO: 'killed' });
    await holder.line(/^in-tx$/);
    holder.kill('SIGKILL');
    await holder.exited;

    app.send('go');
    expect(await app.line(/^done /)).toBe('done 8');
    const seen = await read(dir);
    expect(seen.log.filter((l) => l.who === 'killed')).toEqual([]);
    expect(seen.n).toBe(8);
    app.send('stop');
    expect((await app.exited).code).toBe(0);
  });

  it('stops a command with an error when the app stops under it, leaving no half transaction', { timeout: 120_000 }, async () => {
    const dir = dataDir();
    const app = child(dir, 'hold', { SHARE_ROLE: 'app' });
    await app.line(/^ready$/);
    const command = child(dir, 'counter', { WHO: 'cli', COUNT: '100000' });
    await command.line(/^ready$/);
    command.send('go');
    await new Promise((r) => setTimeout(r, 1500));
    app.send('stop');
    expect((await app.exited).code).toBe(0);
    const stopped = await command.exited;
    expect(stopped.code).not.toBe(0);
    expect(stopped.err).toContain(`the dealrisk app (pid ${app.pid}) serving ${dir} closed this command's connection`);
    expect(stopped.err).toContain('run it again');
    // Every increment that committed has its log row, and nothing else does.
    const seen = await read(dir);
    expect(seen.n).toBeGreaterThan(0);
    expect(seen.log).toHaveLength(seen.n);
  });

  it('refuses a second app at once, naming the running one', { timeout: 120_000 }, async () => {
    const dir = dataDir();
    const app = child(dir, 'hold', { SHARE_ROLE: 'app' });
    await app.line(/^ready$/);
    const second = await child(dir, 'hold', { SHARE_ROLE: 'app' }).exited;
    expect(second.code, second.out).toBe(3);
    expect(second.err).toContain(`dealrisk is already running on ${dir} (pid ${app.pid}`);
    expect(second.err).toContain('stop it first');
    // The first one was not disturbed.
    expect((await read(dir)).n).toBe(0);
    app.send('stop');
    expect((await app.exited).code).toBe(0);
  });

  it('refuses a second command while one runs without the app, and the app too', { timeout: 120_000 }, async () => {
    const dir = dataDir();
    const first = child(dir, 'hold');
    await first.line(/^ready$/);
    const second = await child(dir, 'read').exited;
    expect(second.code, second.out).toBe(3);
    expect(second.err).toContain(`another dealrisk command is using ${dir} (pid ${first.pid}: test hold`);
    const app = await child(dir, 'hold', { SHARE_ROLE: 'app' }).exited;
    expect(app.code, app.out).toBe(3);
    expect(app.err).toContain(`a dealrisk command is using ${dir} (pid ${first.pid}`);
    first.send('stop');
    expect((await first.exited).code).toBe(0);
    expect((await read(dir)).n).toBe(0);
  });

  it('starts again after the app is killed with SIGKILL, with everything it committed', { timeout: 120_000 }, async () => {
    const dir = dataDir();
    const app = child(dir, 'counter', { SHARE_ROLE: 'app', WHO: 'app', COUNT: '20' });
    await app.line(/^ready$/);
    app.send('go');
    expect(await app.line(/^done /)).toBe('done 16');
    app.kill('SIGKILL');
    await app.exited;
    expect(existsSync(`${dir}.lock`)).toBe(true);

    const next = child(dir, 'counter', { SHARE_ROLE: 'app', WHO: 'next', COUNT: '5' });
    await next.line(/^ready$/);
    next.send('go');
    expect(await next.line(/^done /)).toBe('done 4');
    next.send('stop');
    expect((await next.exited).code).toBe(0);
    const seen = await read(dir);
    expect(seen.n).toBe(20);
    expect(seen.log.filter((l) => l.who === 'app')).toHaveLength(16);
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});
