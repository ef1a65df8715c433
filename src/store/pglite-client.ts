import { createConnection } from 'node:net';
import { type Dialect, PostgresDialect } from 'kysely';
import { AppError, isAppError } from '../core/errors.ts';
import type { QueryResult } from './pglite-gate.ts';
import { type ClientMessage, fromWireError, onMessages, type ServerMessage, send } from './pglite-wire.ts';

/** The running app that owns a PGlite directory, as its lock file describes it. */
export interface ServingApp {
  dataDir: string;
  socket: string;
  token: string;
  pid: number;
}

interface Link {
  ask(m: ClientMessage): Promise<ServerMessage>;
  end(): void;
}

/**
 * Kysely over the app's PGlite: each connection is a socket that holds one turn on the app's
 * session, exactly like a connection inside the app, so a command's transaction never mixes
 * with the app's statements.
 */
export function remoteDialect(app: ServingApp, label: string): Dialect {
  const pool = {
    async connect() {
      const link = await openLink(app, label).catch((e: unknown) => {
        // The app stopped since this command began: say so, not "connect ENOENT".
        throw isAppError(e) ? e : lost(app, e instanceof Error ? e : undefined);
      });
      try {
        expect(await link.ask({ t: 'acquire' }), 'ready', app);
      } catch (e) {
        link.end();
        throw e;
      }
      return {
        async query(sql: string, params: readonly unknown[]): Promise<QueryResult> {
          const r = await link.ask({ t: 'query', sql, params: [...params] });
          if (r.t === 'error') throw fromWireError(r.error);
          return expect(r, 'result', app).result;
        },
        release: () => link.end(),
      };
    },
    async end() {},
  };
  return new PostgresDialect({ pool: pool as never });
}

/** Resolves once the app has answered and admitted this process; rejects with the socket's error code (ENOENT, ECONNREFUSED) while it is not listening. */
export async function probeApp(app: ServingApp, label: string): Promise<void> {
  (await openLink(app, label)).end();
}

function openLink(app: ServingApp, label: string): Promise<Link> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(app.socket);
    const waiting: Array<{ resolve: (m: ServerMessage) => void; reject: (e: Error) => void }> = [];
    let failure: Error | undefined;
    let closed = false;
    onMessages<ServerMessage>(socket, (m) => waiting.shift()?.resolve(m));
    socket.on('error', (e) => (failure = e));
    socket.on('close', () => {
      closed = true;
      for (const w of waiting.splice(0)) w.reject(lost(app, failure));
    });
    const link: Link = {
      ask(m) {
        return new Promise((res, rej) => {
          if (closed) return rej(lost(app, failure));
          waiting.push({ resolve: res, reject: rej });
          send(socket, m);
        });
      },
      end: () => socket.end(),
    };
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      link.ask({ t: 'hello', token: app.token, pid: process.pid, label }).then((m) => {
        if (m.t === 'welcome') return resolve(link);
        socket.destroy();
        reject(
          new AppError(
            'conflict',
            `the dealrisk app (pid ${app.pid}) on ${app.dataDir} refused this command: ${m.t === 'refused' ? m.message : m.t}`,
          ),
        );
      }, reject);
    });
  });
}

function expect<T extends ServerMessage['t']>(m: ServerMessage, t: T, app: ServingApp): Extract<ServerMessage, { t: T }> {
  if (m.t !== t) throw new AppError('internal', `the dealrisk app (pid ${app.pid}) answered ${m.t} where ${t} was expected`);
  return m as Extract<ServerMessage, { t: T }>;
}

function lost(app: ServingApp, cause: Error | undefined): AppError {
  return new AppError(
    'conflict',
    `the dealrisk app (pid ${app.pid}) serving ${app.dataDir} closed this command's connection` +
      `${cause ? ` (${cause.message})` : ' (it stopped, or found the command idle too long)'}; ` +
      'what the command had not committed was rolled back: run it again',
    { retryable: true, cause },
  );
}
