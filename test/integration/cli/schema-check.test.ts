import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateIfBehind, schemaIsCurrent } from '../../../src/cli/schema-check.ts';
import { openStore } from '../../../src/store/index.ts';
import { createTestStore, TEST_KEY } from '../../helpers/store.ts';

describe('a command migrates only a database that is behind', () => {
  it('creates the whole schema in an empty database, then finds it current', { timeout: 90_000 }, async () => {
    const store = await openStore({ encryptionKey: TEST_KEY, migrate: false });
    try {
      expect(await schemaIsCurrent(store.db)).toBe(false);
      await migrateIfBehind(store.db);
      expect(await schemaIsCurrent(store.db)).toBe(true);
      expect(await store.deals.countByStatus('t')).toEqual({ open: 0, won: 0, lost: 0 });
    } finally {
      await store.close();
    }
  });

  // Opens a PGlite store of its own in the test: 10-26 s on a busy 2-core machine, past the 30 s default under load.
  it('sees a migration the database has not had', { timeout: 90_000 }, async () => {
    const t = await createTestStore();
    try {
      expect(await schemaIsCurrent(t.store.db)).toBe(true);
      await sql`delete from kysely_migration where name = (select max(name) from kysely_migration)`.execute(t.store.db);
      expect(await schemaIsCurrent(t.store.db)).toBe(false);
    } finally {
      await t.drop();
    }
  });
});
