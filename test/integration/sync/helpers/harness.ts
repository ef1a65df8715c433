import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll } from 'vitest';
import type { AppContext } from '../../../../src/context.ts';
import { parseMapping } from '../../../../src/mapping/schema.ts';
import type { Connection } from '../../../../src/store/repos/connections.ts';
import type { SyncConfig } from '../../../../src/sync/config.ts';
import type { SyncDeps } from '../../../../src/sync/run-sync.ts';
import { syncTenant } from '../../../../src/sync/sync-tenant.ts';
import { createTestStore, type TestStore } from '../../../helpers/store.ts';
import { type TestClock, testClock, testConfig, testContext } from './context.ts';
import { fakeScorer } from './fake-scorer.ts';
import { FileCrm } from './file-crm.ts';

export interface Harness {
  t: TestStore;
  ctx: AppContext;
  clock: TestClock;
  dir: string;
  config: SyncConfig;
  crms: Map<string, FileCrm>;
  deps: SyncDeps;
  trained: Date[];
  /** A tenant with one connection to its own file CRM. */
  tenant(id: string): Promise<{ crm: FileCrm; connection: Connection }>;
  sync(tenantId?: string): ReturnType<typeof syncTenant>;
  close(): Promise<void>;
}

// One database per test file (opening a PGlite store costs seconds); each test starts from
// empty tables, so tests stay independent.
let shared: Promise<TestStore> | null = null;
afterAll(async () => {
  if (shared) await (await shared).drop();
  shared = null;
});

async function freshStore(): Promise<TestStore> {
  shared ??= createTestStore();
  const t = await shared;
  await sql`truncate table tenants cascade`.execute(t.store.db);
  return t;
}

export async function harness(
  opts: { config?: (c: SyncConfig) => void; candidates?: Array<Partial<import('../../../../src/sync/scorer.ts').BacktestFigures>> } = {},
): Promise<Harness> {
  const t = await freshStore();
  const clock = testClock();
  const ctx = testContext(t.store, clock);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-sync-'));
  const crms = new Map<string, FileCrm>();
  const { scorer, trained } = fakeScorer(t.store, { candidates: opts.candidates ?? [] });
  const config = testConfig(opts.config);
  const deps: SyncDeps = {
    ctx,
    scorer,
    holder: 'test-worker',
    // Like makeConnector: the tenant's mapping override when it has one (validated on read).
    connectorFor: async (_ctx, c) => {
      const doc = await t.store.mappings.get(c.tenantId, 'salesforce');
      const mapping = doc ? parseMapping(doc, `tenant ${c.tenantId} mapping override for salesforce`) : undefined;
      return crms.get(c.id)!.connector(mapping ? { mapping } : {});
    },
  };
  return {
    t,
    ctx,
    clock,
    dir,
    config,
    crms,
    deps,
    trained,
    async tenant(id) {
      await t.store.tenants.ensure(id);
      const connection = await t.store.connections.create(id, { crm: 'salesforce' }, clock.now());
      const crm = new FileCrm(path.join(dir, `${id}-${connection.id}.json`));
      crms.set(connection.id, crm);
      return { crm, connection };
    },
    sync: (tenantId = 't1') => syncTenant(deps, tenantId, { base: config, trigger: 'test' }),
    async close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
