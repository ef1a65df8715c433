import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { Dialect } from 'kysely';
import { AppError } from '../core/errors.ts';
import { acquireLock, type HeldLock, holderState, type LockHolder, readHolder } from './lock.ts';
import { probeApp, remoteDialect, type ServingApp } from './pglite-client.ts';
import { createGate, type Gate, localDialect } from './pglite-gate.ts';
import { type PgliteServer, servePglite } from './pglite-server.ts';

/**
 * Who is opening a PGlite directory. The `app` owns it for as long as it runs and serves it to
 * dealrisk commands on this machine; a `command` goes through the running app, or owns the
 * directory alone while it runs. Anything else is refused at once, with what to do.
 */
export interface PgliteShare {
  role: 'app' | 'command';
  /** What this process is, for the message another process prints: "npm start", "dealrisk import". */
  label: string;
}

export interface OpenedDir {
  dialect: Dialect;
  /** PGlite itself when this process owns the directory; absent when it goes through the app. */
  lite?: PGlite;
}

/** How long a command waits for an app that holds the lock but is still opening the database. */
const APP_STARTING_MS = 30_000;

export async function openPgliteDir(dataDir: string, share: PgliteShare, options: PGliteOptions): Promise<OpenedDir> {
  const dir = path.resolve(dataDir);
  const lockFile = `${dir}.lock`;
  const socket = socketPath(dir);
  const deadline = Date.now() + APP_STARTING_MS;
  for (;;) {
    const r = await acquireLock(lockFile, { role: share.role, label: share.label, socket: share.role === 'app' ? socket : null });
    if (r.acquired) return own(dir, share, r.lock, options);
    const h = r.holder;
    if (share.role === 'app' || h.role !== 'app' || !h.socket || !r.verifiable)
      throw new AppError('conflict', refusal(dir, lockFile, share, h, r.verifiable), { path: dir, pid: h.pid });
    const app: ServingApp = { dataDir: dir, socket: h.socket, token: h.token, pid: h.pid };
    try {
      await probeApp(app, share.label);
      return { dialect: remoteDialect(app, share.label) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const still = readHolder(lockFile);
      const sameHolder = typeof still === 'object' && still.token === h.token && holderState(h) === 'alive';
      // The app has the lock but is still opening the database: ask again until it answers.
      const starting = code === 'ENOENT' || code === 'ECONNREFUSED';
      if ((sameHolder && (!starting || Date.now() > deadline)) || Date.now() > deadline + APP_STARTING_MS) {
        const why = e instanceof Error ? e.message : String(e);
        const message =
          `dealrisk is running on ${dir} (pid ${h.pid}, ${h.label}) but did not answer on ${h.socket} (${why}); ` +
          'if it is stuck, stop it, then run the command again';
        throw new AppError('conflict', message, { path: dir, pid: h.pid, cause: e });
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

async function own(dir: string, share: PgliteShare, lock: HeldLock, options: PGliteOptions): Promise<OpenedDir> {
  try {
    const lite = await PGlite.create({ ...options, dataDir: dir });
    const gate = createGate();
    const server = share.role === 'app' ? await serve(lite, gate, lock) : null;
    const close = async () => {
      try {
        await server?.close();
        await lite.close();
      } finally {
        lock.release();
      }
    };
    return { dialect: localDialect(lite, gate, close), lite };
  } catch (e) {
    lock.release();
    throw e;
  }
}

/**
 * Serves the directory to commands. Where the file system has no unix sockets (some network and
 * host-mounted volumes) the app still runs; the lock then tells commands why they must wait.
 */
async function serve(lite: PGlite, gate: Gate, lock: HeldLock): Promise<PgliteServer | null> {
  if (!lock.holder.socket) return null;
  try {
    return await servePglite({ lite, gate, path: lock.holder.socket, token: lock.holder.token });
  } catch (e) {
    lock.update({ socket: null, note: `no socket at ${lock.holder.socket}: ${e instanceof Error ? e.message : String(e)}` });
    return null;
  }
}

function refusal(dir: string, lockFile: string, me: PgliteShare, h: LockHolder, verifiable: boolean): string {
  const since = `since ${h.startedAt}`;
  if (!verifiable) {
    return (
      `${dir} is in use by pid ${h.pid} on host ${h.host} (${h.label}, ${since}); PGlite serves one process at a time. ` +
      `Stop that process first; if it is gone, delete ${lockFile}`
    );
  }
  if (h.role === 'app' && me.role === 'command') {
    return (
      `dealrisk is running on ${dir} (pid ${h.pid}, ${h.label}, ${since}) and cannot serve commands here (${h.note ?? 'no socket'}); ` +
      'stop it first, then run the command'
    );
  }
  if (h.role === 'app' && me.role === 'app') {
    return (
      `dealrisk is already running on ${dir} (pid ${h.pid}, ${h.label}, ${since}); stop it first, or run dealrisk commands beside it ` +
      '(they go through the running app). A second app needs its own DATA_DIR; separate web and worker processes need DATABASE_URL (PostgreSQL)'
    );
  }
  if (me.role === 'app') {
    return `a dealrisk command is using ${dir} (pid ${h.pid}: ${h.label}, ${since}); wait for it to finish, or stop it, then start again`;
  }
  return (
    `another dealrisk command is using ${dir} (pid ${h.pid}: ${h.label}, ${since}); wait for it to finish, then run this again. ` +
    'While the app runs (npm start), commands go through it and can run side by side'
  );
}

/**
 * Next to the data directory, where only its owner's files are. A unix socket path is limited
 * to about 100 bytes (108 on Linux, 104 on macOS); a longer one moves to the temp directory.
 */
function socketPath(dir: string): string {
  const beside = `${dir}.sock`;
  if (Buffer.byteLength(beside) <= 100) return beside;
  return path.join(os.tmpdir(), `dealrisk-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}.sock`);
}
