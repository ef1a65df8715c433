import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../../src/store/db.ts';
import { remoteDialect, type ServingApp } from '../../../src/store/pglite-client.ts';
import { createGate, localDialect } from '../../../src/store/pglite-gate.ts';
import { type PgliteServer, servePglite } from '../../../src/store/pglite-server.ts';
import { onMessages, type ServerMessage, send } from '../../../src/store/pglite-wire.ts';

// The app's side and a command's side of the socket, in one process: what a command sees
// through the app must be what the app itself sees, and no client can hold the app up for good.
const root = mkdtempSync(path.join(os.tmpdir(), 'dealrisk-serve-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
let n = 0;
// One PGlite for the file (creating one takes seconds); each test serves it afresh.
let lite: PGlite;
beforeAll(async () => {
  lite = await PGlite.create();
});
afterAll(() => lite.close());

async function serving(idleMs?: number) {
  const gate = createGate();
  const app: ServingApp = { dataDir: root, socket: path.join(root, `${++n}.sock`), token: `token-${n}`, pid: process.pid };
  const server: PgliteServer = await servePglite({ lite, gate, path: app.socket, token: app.token, ...(idleMs ? { idleMs } : {}) });
  const local = new Kysely<Tables>({ dialect: localDialect(lite, gate, async () => undefined) });
  const remote = new Kysely<Tables>({ dialect: remoteDialect(app, 'test') });
  cleanup.push(async () => {
    await remote.destroy();
    await local.destroy();
    await server.close();
  });
  await sql`drop table if exists t`.execute(local);
  await sql`create table t (id int primary key, at timestamptz, big int8, doc jsonb, raw bytea)`.execute(local);
  return { app, lite, local, remote };
}

/** Every query here is raw SQL. */
type Tables = Record<string, never>;

/** A hand-made client: hello, acquire, then whatever the test sends. */
function rawClient(app: ServingApp, token = app.token) {
  const socket = createConnection(app.socket);
  const got: ServerMessage[] = [];
  onMessages<ServerMessage>(socket, (m) => got.push(m));
  socket.on('error', () => undefined);
  send(socket, { t: 'hello', token, pid: process.pid, label: 'raw' });
  const next = async (t: ServerMessage['t']) => {
    for (let i = 0; i < 200 && !got.some((m) => m.t === t); i++) await new Promise((r) => setTimeout(r, 10));
    return got.find((m) => m.t === t);
  };
  return { socket, got, next };
}

describe("serving the app's PGlite to commands", () => {
  it('answers a command with the values the app itself reads: dates, int8, JSON, bytes', async () => {
    const { local, remote } = await serving();
    const row = {
      id: 1,
      at: new Date('2026-03-04T05:06:07.089Z'),
      big: 9_007_199_254,
      doc: { a: [1, 'x'] },
      raw: Buffer.from([0, 1, 255]),
    };
    await sql`insert into t values (${row.id}, ${row.at}, ${row.big}, ${JSON.stringify(row.doc)}, ${row.raw})`.execute(remote);
    const seenByApp = await sql`select * from t`.execute(local);
    const seenByCommand = await sql`select * from t`.execute(remote);
    expect(seenByCommand.rows).toEqual(seenByApp.rows);
    expect(seenByCommand.rows[0]).toMatchObject({ id: 1, at: row.at, doc: row.doc });
    expect(Buffer.from((seenByCommand.rows[0] as { raw: Uint8Array }).raw)).toEqual(row.raw);
  });

  it("gives a command the database error's code and constraint", async () => {
    const { remote } = await serving();
    await sql`insert into t (id) values (1)`.execute(remote);
    const e = await sql`insert into t (id) values (1)`.execute(remote).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: '23505', constraint: 't_pkey', message: expect.stringContaining('duplicate key') });
  });

  it("keeps a command's transaction whole: the app waits for it and sees it only once committed", async () => {
    const { local, remote } = await serving();
    let appRead: Promise<unknown> | undefined;
    await remote.transaction().execute(async (trx) => {
      await sql`insert into t (id) values (1)`.execute(trx);
      appRead = sql`select count(*)::int as c from t`.execute(local);
      await new Promise((r) => setTimeout(r, 100));
      await sql`insert into t (id) values (2)`.execute(trx);
    });
    expect(((await appRead) as { rows: Array<{ c: number }> }).rows[0]!.c).toBe(2);
  });

  it('rolls back what a command left open when its connection drops, and lets the app go on', async () => {
    const { app, local } = await serving();
    const c = rawClient(app);
    expect(await c.next('welcome')).toBeDefined();
    send(c.socket, { t: 'acquire' });
    expect(await c.next('ready')).toBeDefined();
    send(c.socket, { t: 'query', sql: 'begin', params: [] });
    send(c.socket, { t: 'query', sql: 'insert into t (id) values (7)', params: [] });
    await c.next('result');
    c.socket.destroy();
    const r = await sql<{ c: number }>`select count(*)::int as c from t`.execute(local);
    expect(r.rows[0]!.c).toBe(0);
  });

  it('ends the turn of a command that holds the session idle, so the app is not stalled', async () => {
    const { app, local } = await serving(300);
    const c = rawClient(app);
    await c.next('welcome');
    send(c.socket, { t: 'acquire' });
    expect(await c.next('ready')).toBeDefined();
    send(c.socket, { t: 'query', sql: 'begin', params: [] });
    send(c.socket, { t: 'query', sql: 'insert into t (id) values (8)', params: [] });
    const started = Date.now();
    const r = await sql<{ c: number }>`select count(*)::int as c from t`.execute(local);
    expect(r.rows[0]!.c).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(c.socket.destroyed || c.socket.readableEnded).toBe(true);
  });

  it("refuses a client without the lock's token, and its socket is its owner's alone", async () => {
    const { app } = await serving();
    expect(statSync(app.socket).mode & 0o777).toBe(0o600);
    const c = rawClient(app, 'guessed');
    expect(await c.next('refused')).toMatchObject({ message: 'not a dealrisk client of this data directory' });
    expect(c.got.some((m) => m.t === 'welcome')).toBe(false);
  });

  it('drops a connection that sends garbage, and goes on serving', async () => {
    const { app, remote } = await serving();
    const junk = createConnection(app.socket);
    junk.on('error', () => undefined);
    const closed = new Promise((r) => junk.on('close', r));
    junk.write(Buffer.from([0, 0, 0, 3, 0xff, 0x00, 0x7f]));
    await closed;
    expect((await sql<{ one: number }>`select 1 as one`.execute(remote)).rows).toEqual([{ one: 1 }]);
  });

  it('runs the app where no socket can be made, and tells a command why it must wait', { timeout: 60_000 }, async () => {
    const dataDir = path.join(root, 'no-socket');
    mkdirSync(`${dataDir}.sock`, { recursive: true }); // something that is not a socket is in the way
    const owner = await openDb({ dataDir, share: { role: 'app', label: 'npm start' } });
    cleanup.push(() => owner.close());
    expect(JSON.parse(readFileSync(`${dataDir}.lock`, 'utf8'))).toMatchObject({
      socket: null,
      note: expect.stringContaining(`${dataDir}.sock`),
    });
    const e = await openDb({ dataDir, share: { role: 'command', label: 'dealrisk import' } }).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'conflict',
      message: expect.stringContaining(`dealrisk is running on ${dataDir} (pid ${process.pid}`),
    });
    expect((e as Error).message).toContain('cannot serve commands here');
  });
});
