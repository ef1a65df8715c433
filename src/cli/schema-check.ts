import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Db } from '../store/index.ts';
import { migrateToLatest } from '../store/migrate.ts';

const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../store/migrations');

/**
 * Applies pending migrations, after one query that says whether there are any. Kysely's Migrator
 * introspects the whole catalog before it looks (about 2 s on PGlite under load, more than the
 * rest of `deals list`); a command almost always finds the schema current.
 */
export async function migrateIfBehind(db: Db): Promise<void> {
  if (!(await schemaIsCurrent(db))) await migrateToLatest(db as never);
}

/** True when kysely_migration lists every migration file (src/store/migrate.ts applies the same files). */
export async function schemaIsCurrent(db: Db): Promise<boolean> {
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => /^\d{4}-[\w-]+\.ts$/.test(f)).map((f) => f.replace(/\.ts$/, ''));
  const exists = await sql<{ t: string | null }>`select to_regclass('kysely_migration')::text as t`.execute(db);
  if (!exists.rows[0]?.t) return false;
  const done = new Set((await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows.map((r) => r.name));
  return files.every((f) => done.has(f));
}
