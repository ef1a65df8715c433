import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../../src/sandbox/index.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import type { SyncPoint } from '../../../src/sync/run-state.ts';
import { createTestStore, TEST_KEY } from '../../helpers/store.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures/sandbox-child.ts');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function child(env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr.on('data', (c: Buffer) => (err += c.toString()));
    p.on('exit', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/** Killed at each point in turn (a first sync of a Salesforce org), then left to finish. */
const CHAIN: Array<[SyncPoint, number]> = [
  ['page-stored', 1],
  ['scored', 1],
  ['fields-called', 1],
  ['fields-recorded', 1],
  ['tasks-called', 1],
];

describe('a worker syncing a Salesforce org, SIGKILLed mid-run', () => {
  it(`finishes the run exactly once across restarts: ${CHAIN.map(([p, n]) => `${p}#${n}`).join(' → ')}`, async () => {
    const sb = await startSandbox({ deals: 400, seed: 5, salesforce: { riskFields: 'ready' }, taskCompletionDays: null });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-kill-sb-'));
    dirs.push(dir);
    let dbEnv: Record<string, string>;
    let open: () => Promise<Store>;
    let drop = async () => {};
    if (process.env.TEST_DATABASE_URL) {
      const t = await createTestStore();
      await t.store.close();
      dbEnv = { DB_URL: t.url! };
      open = () => openStore({ url: t.url!, encryptionKey: TEST_KEY, poolSize: 2 });
      drop = () => t.drop().catch((e: unknown) => void e);
    } else {
      dbEnv = { DB_DIR: path.join(dir, 'pglite') };
      open = () => openStore({ dataDir: path.join(dir, 'pglite'), encryptionKey: TEST_KEY });
    }
    try {
      const tokens = sb.salesforce.issueTokens();
      let store = await open();
      await store.tenants.ensure('t1');
      await store.connections.create(
        't1',
        {
          crm: 'salesforce',
          accountId: sb.salesforce.orgId,
          instanceUrl: tokens.instance_url,
          credentials: { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, instanceUrl: tokens.instance_url, accountId: sb.salesforce.orgId, authBaseUrl: sb.salesforce.loginUrl },
        },
        sb.clock.now(),
      );
      await store.close();
      const env = {
        ...dbEnv,
        CLOCK: sb.clock.now().toISOString(),
        SANDBOX: JSON.stringify({ clientId: sb.salesforce.clientId, clientSecret: sb.salesforce.clientSecret, loginUrl: sb.salesforce.loginUrl }),
      };

      for (const [point, nth] of CHAIN) {
        const killed = await child({ ...env, KILL_AT: point, KILL_NTH: String(nth) });
        expect(killed.signal, `${point}#${nth} was not reached: ${killed.err}${killed.out}`).toBe('SIGKILL');
      }
      const last = await child(env);
      expect(last.code, last.err).toBe(0);
      expect(JSON.parse(last.out)).toMatchObject({ status: 'done', runs: [expect.objectContaining({ status: 'succeeded' })] });

      store = await open();
      try {
        // Every open opportunity carries the score the store holds for it.
        const scores = new Map((await store.scores.latest('t1')).map((s) => [s.externalId, s]));
        const open_ = sb.state.salesforce.opportunities().filter((o) => o.IsClosed === false);
        expect(open_.length).toBeGreaterThan(0);
        expect(scores.size).toBe(open_.length);
        for (const o of open_) expect(o.Risk_Score__c).toBe(scores.get(o.Id as string)!.score);
        // Scored once each (the kill after scoring did not make the next run score again).
        for (const id of [...scores.keys()].slice(0, 50)) expect(await store.scores.history('t1', 'salesforce', id)).toHaveLength(1);
        // Written once each, except the one batch the org applied while the worker died before
        // recording it: sent again with the same values.
        const writes = new Map<string, number>();
        for (const w of sb.state.salesforce.fieldWrites.filter((x) => x.object === 'Opportunity')) writes.set(w.id, (writes.get(w.id) ?? 0) + 1);
        expect([...writes.keys()].sort()).toEqual([...scores.keys()].sort());
        expect([...writes.values()].filter((n) => n > 2)).toEqual([]);
        expect([...writes.values()].filter((n) => n === 2).length).toBeLessThanOrEqual(200);
        // No task duplicated: one task per key in the org, one per key we sent.
        const keys = sb.state.salesforce.tasks().map((t) => t.Risk_Task_Key__c as string);
        expect(new Set(keys).size).toBe(keys.length);
        const sent = await store.outbox.list('t1', { kind: 'task' });
        expect(sent.every((t) => t.status === 'sent')).toBe(true);
        expect(keys.length).toBe(sent.length);
        expect(Object.keys(await store.outbox.countByStatus('t1')).filter((k) => !k.endsWith('.sent'))).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await drop();
      await sb.close();
    }
  });
});
