import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLock, type LockHolder, processIdentity } from '../../../src/store/lock.ts';
import { spawnChild } from '../../helpers/child-process.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const lockFile = () => path.join(root, `${++n}.lock`);
const me = { role: 'command', label: 'test', socket: null } as const;

/** A lock file as another process would have left it. */
function holder(overrides: Partial<LockHolder>): LockHolder {
  return {
    pid: process.pid,
    host: os.hostname(),
    token: 'other',
    role: 'app',
    label: 'npm start',
    startedAt: '2026-01-01T00:00:00.000Z',
    identity: processIdentity(process.pid),
    socket: null,
    ...overrides,
  };
}

/** The pid of a process that has just ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('the data directory lock', () => {
  it('is taken by one holder at a time, and free again once released', async () => {
    const file = lockFile();
    const a = await acquireLock(file, me);
    expect(a.acquired).toBe(true);
    const b = await acquireLock(file, me);
    expect(b).toMatchObject({ acquired: false, verifiable: true, holder: { pid: process.pid, label: 'test' } });
    if (a.acquired) a.lock.release();
    expect(existsSync(file)).toBe(false);
    const c = await acquireLock(file, me);
    expect(c.acquired).toBe(true);
    if (c.acquired) c.lock.release();
  });

  it('is written only for its owner to read', async () => {
    const file = lockFile();
    const a = await acquireLock(file, me);
    expect(a.acquired).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (a.acquired) a.lock.release();
  });

  it('refuses while the process that holds it runs', async () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify(holder({})));
    expect(await acquireLock(file, me)).toMatchObject({ acquired: false, verifiable: true, holder: { token: 'other' } });
    expect(JSON.parse(readFileSync(file, 'utf8')).token).toBe('other');
  });

  it('takes over a lock whose process is gone (killed, crashed)', async () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify(holder({ pid: deadPid(), identity: null })));
    const r = await acquireLock(file, me);
    expect(r.acquired).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    if (r.acquired) r.lock.release();
  });

  it.runIf(processIdentity(process.pid) !== null)('takes over a lock whose pid now belongs to another process', async () => {
    const file = lockFile();
    // This process runs, but it is not the one that wrote the lock: its start time differs.
    writeFileSync(file, JSON.stringify(holder({ identity: `${processIdentity(process.pid)!.split(':')[0]}:1` })));
    const r = await acquireLock(file, me);
    expect(r.acquired).toBe(true);
    if (r.acquired) r.lock.release();
  });

  it('refuses a holder on another host, which it cannot check', async () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify(holder({ host: 'elsewhere.example', pid: deadPid() })));
    expect(await acquireLock(file, me)).toMatchObject({ acquired: false, verifiable: false, holder: { host: 'elsewhere.example' } });
  });

  it('takes over a file that is not a lock it wrote (locks are written whole)', async () => {
    const file = lockFile();
    writeFileSync(file, '{"pid": 12');
    const r = await acquireLock(file, me);
    expect(r.acquired).toBe(true);
    if (r.acquired) r.lock.release();
  });

  it('clears a breaker left by a process that died while breaking a stale lock', async () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify(holder({ pid: deadPid(), identity: null })));
    writeFileSync(`${file}.break`, String(deadPid()));
    const old = new Date(Date.now() - 5000);
    utimesSync(`${file}.break`, old, old);
    const r = await acquireLock(file, me);
    expect(r.acquired).toBe(true);
    expect(existsSync(`${file}.break`)).toBe(false);
    if (r.acquired) r.lock.release();
  });

  it('lets exactly one of six processes racing for a stale lock have it', { timeout: 120_000 }, async () => {
    const file = lockFile();
    writeFileSync(file, JSON.stringify(holder({ pid: deadPid(), identity: null })));
    const racers = Array.from({ length: 6 }, () => spawnChild([path.join(import.meta.dirname, 'fixtures/lock-child.ts')], { LOCK: file }));
    await Promise.all(racers.map((r) => r.line(/^waiting$/)));
    for (const r of racers) r.send('go');
    const said = await Promise.all(racers.map((r) => r.line(/^(acquired|held by \d+)$/)));
    expect(said.filter((s) => s === 'acquired')).toHaveLength(1);
    const winner = racers[said.indexOf('acquired')]!;
    expect(said.filter((s) => s !== 'acquired')).toEqual(Array(5).fill(`held by ${winner.pid}`));
    for (const r of racers) r.send('stop');
    await Promise.all(racers.map((r) => r.exited));
    expect(existsSync(file)).toBe(false);
  });
});
