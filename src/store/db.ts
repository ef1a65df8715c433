import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type DatabaseConnection, type Dialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

/** int8 and numeric as JS numbers, dates as plain `yyyy-mm-dd` strings, on both drivers. */
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;
pg.types.setTypeParser(INT8, (v) => Number(v));
pg.types.setTypeParser(NUMERIC, (v) => Number(v));
pg.types.setTypeParser(DATE, (v) => v);

export interface DbOptions {
  /** A postgres:// URL; when absent the embedded PGlite is used. */
  url?: string;
  /** PGlite data directory; absent = in memory (tests). */
  dataDir?: string;
  /** Postgres schema to use (tests isolate themselves in a schema of their own). */
  schema?: string;
  poolSize?: number;
  /**
   * An idle pooled connection died (server restart, a dropped database). pg discards it and the
   * next query opens a new one; without a listener its 'error' event would crash the process.
   */
  onPoolError?: (error: Error) => void;
}

export interface OpenDb {
  db: Db;
  driver: 'postgres' | 'pglite';
  close(): Promise<void>;
}

/** Opens Postgres when a URL is given, else an embedded PGlite (file-backed or in memory). */
export async function openDb(opts: DbOptions = {}): Promise<OpenDb> {
  if (opts.url) {
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 10,
      ...(opts.schema ? { options: `-c search_path=${opts.schema}` } : {}),
    });
    pool.on('error', opts.onPoolError ?? ((e) => process.emitWarning(`idle database connection closed: ${e.message}`)));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, driver: 'postgres', close: () => db.destroy() };
  }
  const lite = await PGlite.create({
    ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
    parsers: { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => Number(v), [DATE]: (v: string) => v },
  });
  if (opts.schema) await lite.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}`);
  const db = new Kysely<Database>({ dialect: pgliteDialect(lite) });
  return { db, driver: 'pglite', close: () => db.destroy() };
}

/**
 * PGlite is one connection. Kysely's Postgres dialect works over it once connections are
 * handed out one at a time, so a transaction never interleaves with another query.
 */
function pgliteDialect(lite: PGlite): Dialect {
  let queue: Promise<void> = Promise.resolve();
  const pool = {
    async connect() {
      let release!: () => void;
      const turn = new Promise<void>((r) => (release = r));
      const prev = queue;
      queue = prev.then(() => turn);
      await prev;
      return {
        async query(sql: string, params: readonly unknown[]) {
          const r = await lite.query(sql, params as unknown[], { rowMode: 'object' });
          const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? 'SELECT';
          return { command, rowCount: r.affectedRows ?? r.rows.length, rows: r.rows };
        },
        release,
      };
    },
    async end() {
      await lite.close();
    },
  };
  return new PostgresDialect({ pool: pool as never });
}

export type { DatabaseConnection };
