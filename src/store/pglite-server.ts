import { timingSafeEqual } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { removeIfPresent } from './lock.ts';
import { type Gate, runQuery } from './pglite-gate.ts';
import { type ClientMessage, MAX_HELLO_BYTES, onMessages, send, toWireError } from './pglite-wire.ts';

export interface PgliteServerOptions {
  lite: PGlite;
  gate: Gate;
  /** The unix socket; only this user may connect (0600), and only with the lock's token. */
  path: string;
  token: string;
  /**
   * A client holding the session that sends nothing for this long (a command stopped with
   * Ctrl-Z, a hung process) loses its turn, and what it left open is rolled back, so the app
   * is never stalled for good.
   */
  idleMs?: number;
  onSessionError?: (error: Error) => void;
}

export interface PgliteServer {
  /** Stops accepting, ends every client's turn (rolling back what it left open) and waits for that. */
  close(): Promise<void>;
}

/** Serves the app's PGlite to dealrisk commands on this machine, one turn at a time with the app's own queries. */
export async function servePglite(o: PgliteServerOptions): Promise<PgliteServer> {
  const sessions = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const ended = session(socket, o).finally(() => {
      sockets.delete(socket);
      sessions.delete(ended);
    });
    sessions.add(ended);
  });
  // The previous holder of the lock may have been killed before removing its socket.
  removeIfPresent(o.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(o.path, 0o600);
  return {
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const s of sockets) s.destroy();
      await Promise.all([...sessions]);
      await closed;
      removeIfPresent(o.path);
    },
  };
}

/** One client connection: at most one turn, its statements in order, and a clean end however it ends. */
function session(socket: Socket, o: PgliteServerOptions): Promise<void> {
  const idleMs = o.idleMs ?? 60_000;
  let welcomed = false;
  let release: (() => void) | null = null;
  let idle: NodeJS.Timeout | undefined;
  // Messages are handled one after another: a statement never overtakes the one before it.
  let chain: Promise<void> = Promise.resolve();
  const waitForClient = () => {
    clearTimeout(idle);
    idle = setTimeout(() => socket.destroy(new Error(`idle for ${idleMs / 1000} s while holding the database`)), idleMs);
  };
  const endTurn = async () => {
    clearTimeout(idle);
    if (!release) return;
    try {
      if (o.lite.isInTransaction()) await o.lite.exec('rollback');
    } finally {
      release();
      release = null;
    }
  };
  const handle = async (m: ClientMessage) => {
    if (socket.destroyed) return;
    if (!welcomed) {
      if (m.t !== 'hello' || !sameToken(m.token, o.token)) {
        send(socket, { t: 'refused', message: 'not a dealrisk client of this data directory' });
        socket.end();
        return;
      }
      welcomed = true;
      send(socket, { t: 'welcome', pid: process.pid });
      return;
    }
    if (m.t === 'acquire' && !release) {
      release = await o.gate.turn();
      if (socket.destroyed) return;
      send(socket, { t: 'ready' });
      waitForClient();
    } else if (m.t === 'query' && release) {
      clearTimeout(idle);
      try {
        send(socket, { t: 'result', result: await runQuery(o.lite, m.sql, m.params) });
      } catch (e) {
        send(socket, { t: 'error', error: toWireError(e) });
      }
      waitForClient();
    } else {
      socket.destroy(new Error(`unexpected ${m.t} message`));
    }
  };
  const next = (m: ClientMessage) => {
    chain = chain.then(() => handle(m)).catch((e: unknown) => void socket.destroy(e instanceof Error ? e : new Error(String(e))));
  };
  onMessages<ClientMessage>(socket, next, () => (welcomed ? Infinity : MAX_HELLO_BYTES));
  socket.on('error', (e) => o.onSessionError?.(e));
  return new Promise<void>((resolve) => {
    socket.once('close', () => {
      chain = chain.then(endTurn, endTurn);
      chain.then(resolve, (e: unknown) => {
        o.onSessionError?.(e instanceof Error ? e : new Error(String(e)));
        resolve();
      });
    });
  });
}

function sameToken(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
