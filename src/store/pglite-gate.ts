import type { PGlite } from '@electric-sql/pglite';
import { type Dialect, PostgresDialect } from 'kysely';

/**
 * PGlite is one Postgres session. Whoever uses it (a Kysely connection in this process, or a
 * command served over the socket) takes a turn for the whole of a connection's life, so a
 * transaction never interleaves with anyone else's statements.
 */
export interface Gate {
  /** Resolves when it is the caller's turn, with the function that ends it. */
  turn(): Promise<() => void>;
}

export function createGate(): Gate {
  let queue: Promise<void> = Promise.resolve();
  return {
    async turn() {
      let release!: () => void;
      const ended = new Promise<void>((r) => (release = r));
      const prev = queue;
      queue = prev.then(() => ended);
      await prev;
      return release;
    },
  };
}

export interface QueryResult {
  command: string;
  rowCount: number;
  rows: unknown[];
}

/** One statement, answered in the shape node-postgres gives Kysely. */
export async function runQuery(lite: PGlite, sql: string, params: readonly unknown[]): Promise<QueryResult> {
  const r = await lite.query(sql, params as unknown[], { rowMode: 'object' });
  const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SELECT';
  return { command, rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
}

/** Kysely's Postgres dialect over the PGlite in this process, one turn per connection. */
export function localDialect(lite: PGlite, gate: Gate, onEnd: () => Promise<void>): Dialect {
  const pool = {
    async connect() {
      const release = await gate.turn();
      return { query: (sql: string, params: readonly unknown[]) => runQuery(lite, sql, params), release };
    },
    end: onEnd,
  };
  return new PostgresDialect({ pool: pool as never });
}
