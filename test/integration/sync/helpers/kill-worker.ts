import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'vitest';
import { openStore, type Store } from '../../../../src/store/index.ts';
import type { SyncPoint } from '../../../../src/sync/run-state.ts';
import { createScratchDatabase } from '../../../helpers/scratch-db.ts';
import { TEST_KEY } from '../../../helpers/store.ts';

/**
 * Where a worker dies. `at`: a named point of the run (the worker's probe). `answered`: right
 * after the CRM answered a call (`METHOD /path`, matched at the end of the request path), before
 * the worker reads the answer: the CRM applied it, the worker never learns. `nth`: which
 * occurrence (default the first).
 */
export type KillPoint = { at: SyncPoint; nth?: number } | { answered: string; nth?: number };

export const pointName = (p: KillPoint): string => `${'at' in p ? p.at : `answered ${p.answered}`}#${p.nth ?? 1}`;

/** The environment a worker fixture reads to kill itself at `p`. */
export const killEnv = (p: KillPoint): Record<string, string> =>
  'at' in p ? { KILL_AT: p.at, KILL_NTH: String(p.nth ?? 1) } : { KILL_ANSWERED: p.answered, KILL_NTH: String(p.nth ?? 1) };

export interface ChildEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs a worker fixture in its own Node process; resolves with how it ended. */
export function runChild(script: string, env: Record<string, string>): Promise<ChildEnd> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** Runs the worker once per point, each killed there and the next one taking over; fails naming a point the run never reached. */
export async function killAtEach(
  run: (env: Record<string, string>) => Promise<ChildEnd>,
  chain: readonly KillPoint[],
  between: (p: KillPoint) => Promise<void> = async () => {},
): Promise<void> {
  for (const p of chain) {
    const killed = await run(killEnv(p));
    expect(killed.signal, `${pointName(p)} was not reached: ${killed.err}${killed.out}`).toBe('SIGKILL');
    await between(p);
  }
}

/** Runs the worker to the end and checks its run succeeded. */
export async function finishRun(run: (env: Record<string, string>) => Promise<ChildEnd>): Promise<void> {
  const last = await run({});
  expect(last.code, last.err).toBe(0);
  expect(JSON.parse(last.out)).toMatchObject({ status: 'done', runs: [expect.objectContaining({ status: 'succeeded' })] });
}

export interface WorkerDatabase {
  /** What a worker process needs to open it (DB_URL or DB_DIR). */
  env: Record<string, string>;
  open(): Promise<Store>;
  drop(): Promise<void>;
}

/** Where worker processes keep their data: a Postgres database of its own (TEST_DATABASE_URL), or a PGlite directory under `dir`. */
export async function workerDatabase(dir: string): Promise<WorkerDatabase> {
  const admin = process.env.TEST_DATABASE_URL;
  if (admin) {
    const db = await createScratchDatabase(admin, 'dealrisk_kill');
    return { env: { DB_URL: db.url }, open: () => openStore({ url: db.url, encryptionKey: TEST_KEY, poolSize: 2 }), drop: () => db.drop() };
  }
  const dataDir = path.join(dir, 'pglite');
  return { env: { DB_DIR: dataDir }, open: () => openStore({ dataDir, encryptionKey: TEST_KEY }), drop: async () => {} };
}

/** Opens the worker's store, runs `fn`, closes it. */
export async function withStore<T>(db: WorkerDatabase, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await db.open();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
