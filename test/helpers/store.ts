import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/index.ts';

export const TEST_KEY = Buffer.alloc(32, 7);

export interface TestStore {
  store: Store;
  /** The postgres:// URL of the test's own database (Postgres runs only). */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A store in a database of its own: an in-memory PGlite by default, or, when
 * TEST_DATABASE_URL is set, a new Postgres database created here and dropped by `drop()`.
 */
export async function createTestStore(): Promise<TestStore> {
  const admin = process.env.TEST_DATABASE_URL;
  if (!admin) {
    const store = await openStore({ encryptionKey: TEST_KEY });
    return { store, drop: () => store.close() };
  }
  const name = `dealrisk_t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`create database ${name}`);
  await client.end();
  const url = new URL(admin);
  url.pathname = `/${name}`;
  // drop() ends idle connections with 57P01 on purpose: that is expected here, not a failure.
  const store = await openStore({ url: url.toString(), encryptionKey: TEST_KEY, poolSize: 4, onPoolError: () => undefined });
  return {
    store,
    url: url.toString(),
    async drop() {
      await store.close();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** True when this run also exercises a real Postgres server. */
export const onPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);
