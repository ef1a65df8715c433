import { openStore, type Store } from '../../src/store/index.ts';
import { createScratchDatabase } from './scratch-db.ts';

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
  const db = await createScratchDatabase(admin, 'dealrisk_t');
  // drop() ends idle connections with 57P01 on purpose: that is expected here, not a failure.
  const store = await openStore({ url: db.url, encryptionKey: TEST_KEY, poolSize: 4, onPoolError: () => undefined });
  return {
    store,
    url: db.url,
    async drop() {
      await store.close();
      await db.drop();
    },
  };
}

/** True when this run also exercises a real Postgres server. */
export const onPostgres = (): boolean => Boolean(process.env.TEST_DATABASE_URL);
