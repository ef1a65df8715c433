import { PGlite } from '@electric-sql/pglite';
import { type DatabaseConnection, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { AppError } from '../core/errors.ts';
import { openPgliteDir, type PgliteShare } from './pglite-dir.ts';
import { createGate, localDialect } from './pglite-gate.ts';
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
  /**
   * How this process shares `dataDir` with others (PGlite is one process's database): the app
   * owns it and serves it; a command (the default) goes through a running app or owns it alone.
   */
  share?: PgliteShare;
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
  const parsers = { [INT8]: (v: string) => Number(v), [NUMERIC]: (v: string) => Number(v), [DATE]: (v: string) => v };
  if (!opts.dataDir) {
    const lite = await PGlite.create({ parsers });
    if (opts.schema) await lite.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}`);
    const db = new Kysely<Database>({ dialect: localDialect(lite, createGate(), () => lite.close()) });
    return { db, driver: 'pglite', close: () => db.destroy() };
  }
  const dir = await openPgliteDir(opts.dataDir, opts.share ?? { role: 'command', label: 'dealrisk' }, { parsers });
  if (opts.schema) {
    // A schema is a session setting: set on the app's shared session it would change the app's queries.
    if (!dir.lite) throw new AppError('config_invalid', `a schema cannot be chosen while another process owns ${opts.dataDir}`);
    await dir.lite.exec(`create schema if not exists ${opts.schema}; set search_path to ${opts.schema}`);
  }
  const db = new Kysely<Database>({ dialect: dir.dialect });
  return { db, driver: 'pglite', close: () => db.destroy() };
}

export type { DatabaseConnection };
