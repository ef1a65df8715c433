import { describe, expect, it } from 'vitest';
import type { Connector, DealUpdate, FetchPage, RiskFields, TaskRequest } from '../../connectors/types.ts';
import { isAppError } from '../../src/core/errors.ts';
import { compileMapping } from '../../src/mapping/to-deal.ts';
import { handleSyncError } from '../../src/sync/handle-sync-error.ts';

/**
 * One contract for every `Connector` (connectors/types.ts), run against each connector over each
 * of its fakes, as Hono runs one router suite against every router. A source under test is a
 * `SourceHandle`: a way to build the connector as a run builds it, plus the hands of a person
 * using the CRM (edit, delete, restore), of a validation rule (refuse a write), of an admin
 * (revoke the app) and of the clock.
 */

/** Cases a source may leave out, each with the reason it gives (shown in the test's title). */
export type OptionalCase =
  | 'deletes'
  | 'restores'
  | 'writeBack'
  | 'tasks'
  | 'revokedToken'
  | 'exhaustedQuota'
  /** Connector.fetchByIds: real-time rescoring reads the deals a webhook or a change poll named. */
  | 'fetchByIds'
  /** Connector.changedSince: the change poll of a CRM that sends no webhook. */
  | 'changedSince';

export interface RiskReadBack {
  score: number;
  category: string;
}

export interface SourceHandle {
  /** A new connector on this source, as a new run (or a new process) builds it. */
  connect(): Promise<Connector>;
  /** The business clock the source and its connectors share. */
  now(): Date;
  /** Lets business time pass (the sandbox's clock, the fake's clock; a file has none). */
  elapse(ms: number): Promise<void>;
  /** The deal ids the source holds now (not deleted): what a full sync must deliver. */
  liveIds(): Promise<string[]>;
  /** A rep edits these deals (a value the mapping reads changes). */
  edit(ids: string[]): Promise<void>;
  /** Reps create new deals; returns their ids. */
  create(count: number): Promise<string[]>;
  remove?(ids: string[]): Promise<void>;
  /** Someone brings the deals back from the recycle bin. */
  restore?(ids: string[]): Promise<void>;
  /** A validation rule in the CRM will refuse the risk fields for these deals. */
  refuseWrites?(ids: string[]): Promise<void>;
  /** The risk score and category the CRM holds for a deal, read behind the connector's back. */
  readRisk?(id: string): Promise<RiskReadBack | null>;
  /** How many tasks the CRM holds for an idempotency key. */
  tasksWithKey?(key: string): Promise<number>;
  /** The admin uninstalls the app / revokes its tokens: access and refresh tokens stop working. */
  revokeToken?(): Promise<void>;
  /** The CRM's daily API allocation is spent (the CRM's own answer, not the connector's budget). */
  exhaustQuota?(): Promise<void>;
  /** How many times a connector told its CredentialStore the connection needs re-authorizing. */
  reauthRequests?(): number;
  close(): Promise<void>;
}

export interface ContractSetup {
  /** A fresh source: `paged` holds enough deals for a first sync of several pages, `small` a few dozen. */
  make(size: 'paged' | 'small'): Promise<SourceHandle>;
  /** Cases this source cannot take part in, with the reason. */
  skip?: Partial<Record<OptionalCase, string>>;
  /** How long after a delete the connector reports it, when longer than an hourly sync. */
  deleteLatencyMs?: number;
  /** Per case: explicit, so a busy CI machine never trips the default. */
  timeoutMs: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Run {
  pages: FetchPage[];
  /** Deal ids (the mapping's id) of the records delivered, in order, repeats kept. */
  ids: string[];
  /** Ids per page, for picking deals on either side of a page boundary. */
  pageIds: string[][];
  deletedIds: string[];
  /** Every delivery in order: a record, or a deletion. The last word on an id is what the store keeps. */
  events: Array<{ id: string; kind: 'record' | 'deleted' }>;
  /** The cursor the engine would have persisted: the last non-null page cursor, else the one it started from. */
  saved: string | null;
  /** Deal ids delivered up to and including the page that carried `saved`: what resuming from it may skip. */
  coveredIds: Set<string>;
}

/**
 * Deal ids as the sync engine keys them: the mapping's id, not the connector's record id (a CSV
 * line). A record that fails another field still names its deal (the engine rejects it by that id);
 * whether every field maps is the mapping's business, not the connector's.
 */
function dealIdOf(c: Connector): (r: FetchPage['records'][number]) => string {
  const map = compileMapping(c.mapping);
  return (r) => {
    const m = map(r, { tenantId: 'contract', source: c.source });
    return m.ok ? m.deal.externalId : m.error.recordId;
  };
}

/** Runs fetchChanges as the engine does, optionally stopping after `stopAfterPages` (a crash, a lost lease). */
async function sync(c: Connector, from: string | null, stopAfterPages = Infinity): Promise<Run> {
  const idOf = dealIdOf(c);
  const run: Run = { pages: [], ids: [], pageIds: [], deletedIds: [], events: [], saved: from, coveredIds: new Set() };
  let pending: string[] = [];
  for await (const page of c.fetchChanges({ cursor: from })) {
    const ids = page.records.map(idOf);
    expect(page.unreadable ?? [], 'no record of a well-formed source is unreadable').toEqual([]);
    run.pages.push(page);
    run.pageIds.push(ids);
    run.ids.push(...ids);
    run.deletedIds.push(...page.deletedIds);
    // In the engine's order: a page's records are stored, then its deletions marked.
    for (const id of ids) run.events.push({ id, kind: 'record' });
    for (const id of page.deletedIds) run.events.push({ id, kind: 'deleted' });
    pending.push(...ids);
    if (page.cursor !== null) {
      run.saved = page.cursor;
      for (const id of pending) run.coveredIds.add(id);
      pending = [];
    }
    if (run.pages.length >= stopAfterPages) break;
  }
  return run;
}

const repeated = (ids: readonly string[]): string[] => [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))].sort();
const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

/** The last and first deal of each page boundary (at most `max` ids), so a change lands on both sides of one. */
function aroundBoundaries(run: Run, max: number): string[] {
  const out: string[] = [];
  const pages = run.pageIds.filter((p) => p.length > 0);
  for (let i = 0; i + 1 < pages.length && out.length < max; i++) out.push(pages[i]!.at(-1)!, pages[i + 1]![0]!);
  if (!out.length) out.push(...run.ids.slice(0, max));
  return [...new Set(out)].slice(0, max);
}

function aRisk(overrides: Partial<RiskFields> = {}): RiskFields {
  return {
    score: 72,
    category: 'High',
    winProbability: 0.28,
    drivers: 'No activity for 41 days\nClose date pushed 3 times',
    action: 'Call the economic buyer this week',
    scoredAt: new Date('2026-11-24T10:00:00Z'),
    modelStatus: 'ok',
    ...overrides,
  };
}

function aTask(dealId: string, action: string, now: Date): TaskRequest {
  return {
    key: `${dealId}:contract-${action}`,
    dealExternalId: dealId,
    ownerId: null,
    subject: 'Risk: call the economic buyer',
    description: 'No activity for 41 days.',
    priority: 'high',
    dueDate: new Date(now.getTime() + 2 * 86_400_000),
  };
}

function need<T>(fn: T | undefined, what: string, name: string): T {
  if (!fn) throw new Error(`${name}: the source handle has no ${what}() but does not skip the case that needs it`);
  return fn;
}

/** Pulls pages until the run ends or throws; returns how many pages still arrived, and what was thrown. */
async function drain(it: AsyncIterator<FetchPage>): Promise<{ pages: number; error: unknown }> {
  let pages = 0;
  try {
    for (;;) {
      const n = await it.next();
      if (n.done) return { pages, error: null };
      pages++;
    }
  } catch (e) {
    return { pages, error: e };
  }
}

const describeError = (e: unknown): string => (isAppError(e) ? `${e.code}: ${e.message}` : String(e));

/** The mapped deal of each record (by deal id), to compare two reads of the same deals. */
function dealsOf(c: Connector, records: FetchPage['records']): Map<string, unknown> {
  const map = compileMapping(c.mapping);
  const out = new Map<string, unknown>();
  for (const r of records) {
    const m = map(r, { tenantId: 'contract', source: c.source });
    out.set(m.ok ? m.deal.externalId : m.error.recordId, m.ok ? m.deal : m.error);
  }
  return out;
}

export function connectorContract(name: string, setup: ContractSetup): void {
  const skip = setup.skip ?? {};
  /** A case the source takes part in, or a skipped one whose title says why. */
  const optional = (c: OptionalCase, title: string, fn: () => Promise<void>) => {
    const why = skip[c];
    if (why) it.skip(`${title} (not for ${name}: ${why})`, fn);
    else it(title, fn, setup.timeoutMs);
  };
  const withSource = async (size: 'paged' | 'small', fn: (h: SourceHandle) => Promise<void>) => {
    const h = await setup.make(size);
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };

  describe(`${name}: connector contract`, () => {
    it(
      'delivers every deal exactly once on a first sync, across page boundaries',
      () =>
        withSource('paged', async (h) => {
          const run = await sync(await h.connect(), null);
          expect(run.pageIds.filter((p) => p.length > 0).length, 'the first sync spans several pages').toBeGreaterThan(1);
          expect(repeated(run.ids), 'deals delivered twice').toEqual([]);
          expect(sorted(run.ids)).toEqual(sorted(await h.liveIds()));
          expect(run.deletedIds).toEqual([]);
          expect(run.saved, 'the last page carries a cursor').not.toBeNull();
        }),
      setup.timeoutMs,
    );

    it(
      'resumes from the cursor saved after the first page and delivers the rest exactly once',
      () =>
        withSource('paged', async (h) => {
          const interrupted = await sync(await h.connect(), null, 1);
          expect(interrupted.ids.length).toBeGreaterThan(0);
          const resumed = await sync(await h.connect(), interrupted.saved);
          expect(resumed.ids.length, 'the run was interrupted before its end').toBeGreaterThan(0);
          const live = await h.liveIds();
          expect(repeated(resumed.ids), 'deals delivered twice after resuming').toEqual([]);
          // What the saved cursor covers is never delivered again; everything else is, once.
          expect(resumed.ids.filter((id) => interrupted.coveredIds.has(id))).toEqual([]);
          expect(sorted(resumed.ids)).toEqual(sorted(live.filter((id) => !interrupted.coveredIds.has(id))));
          expect(sorted(new Set([...interrupted.ids, ...resumed.ids]))).toEqual(sorted(live));
        }),
      setup.timeoutMs,
    );

    it(
      'resumes an incremental sync interrupted after its first page and delivers the rest of the changes exactly once',
      () =>
        withSource('paged', async (h) => {
          const first = await sync(await h.connect(), null);
          // A mass update (a data import, a territory change) touches every deal: more changes than one page.
          const edited = await h.liveIds();
          await h.elapse(10 * MINUTE);
          await h.edit(edited);
          await h.elapse(HOUR);
          const interrupted = await sync(await h.connect(), first.saved, 1);
          expect(interrupted.ids.length).toBeGreaterThan(0);
          const resumed = await sync(await h.connect(), interrupted.saved);
          expect(resumed.ids.length, 'the run was interrupted before its end').toBeGreaterThan(0);
          expect(repeated(resumed.ids), 'deals delivered twice after resuming').toEqual([]);
          expect(resumed.ids.filter((id) => interrupted.coveredIds.has(id))).toEqual([]);
          expect(resumed.ids).toEqual(expect.arrayContaining(edited.filter((id) => !interrupted.coveredIds.has(id))));
          expect(sorted(new Set([...interrupted.ids, ...resumed.ids].filter((id) => edited.includes(id))))).toEqual(sorted(edited));
        }),
      setup.timeoutMs,
    );

    it(
      'delivers each deal created or edited since the cursor in the next sync, once, on either side of a page boundary',
      () =>
        withSource('paged', async (h) => {
          const first = await sync(await h.connect(), null);
          const edited = aroundBoundaries(first, 6);
          await h.elapse(10 * MINUTE);
          await h.edit(edited);
          const created = await h.create(3);
          await h.elapse(HOUR);
          const next = await sync(await h.connect(), first.saved);
          expect(repeated(next.ids), 'deals delivered twice in one run').toEqual([]);
          expect(next.ids).toEqual(expect.arrayContaining([...edited, ...created]));
          const live = new Set(await h.liveIds());
          expect(
            next.ids.filter((id) => !live.has(id)),
            'delivered deals the source does not hold',
          ).toEqual([]);
          expect(next.deletedIds.filter((id) => edited.includes(id))).toEqual([]);
        }),
      setup.timeoutMs,
    );

    optional('deletes', 'reports a deal deleted in the CRM among deletedIds of the next sync, never as a record', () =>
      withSource('small', async (h) => {
        const remove = need(h.remove, 'remove', name);
        const first = await sync(await h.connect(), null);
        const [gone, kept] = [first.ids[1]!, first.ids[2]!];
        await h.elapse(10 * MINUTE);
        await remove([gone]);
        await h.edit([kept]);
        expect(await h.liveIds()).not.toContain(gone);
        await h.elapse(Math.max(HOUR, setup.deleteLatencyMs ?? 0));
        const next = await sync(await h.connect(), first.saved);
        expect(next.deletedIds).toContain(gone);
        expect(next.ids).not.toContain(gone);
        expect(next.ids).toContain(kept);
      }),
    );

    optional('restores', 'delivers a deleted deal as a record again once it is restored from the recycle bin', () =>
      withSource('small', async (h) => {
        const [remove, restore] = [need(h.remove, 'remove', name), need(h.restore, 'restore', name)];
        const first = await sync(await h.connect(), null);
        const back = first.ids[1]!;
        await h.elapse(10 * MINUTE);
        await remove([back]);
        await h.elapse(Math.max(HOUR, setup.deleteLatencyMs ?? 0));
        const deleted = await sync(await h.connect(), first.saved);
        expect(deleted.deletedIds).toContain(back);
        await restore([back]);
        await h.elapse(HOUR);
        const restored = await sync(await h.connect(), deleted.saved);
        // The store keeps the last word on a deal: it must be the record, not a deletion.
        expect(restored.events.filter((e) => e.id === back).at(-1)).toEqual({ id: back, kind: 'record' });
        expect(repeated(restored.ids)).toEqual([]);
      }),
    );

    optional('writeBack', 'returns one WriteResult per update in input order; a refused deal fails alone, by its id', () =>
      withSource('small', async (h) => {
        const [refuse, readRisk] = [need(h.refuseWrites, 'refuseWrites', name), need(h.readRisk, 'readRisk', name)];
        const first = await sync(await h.connect(), null);
        const ids = first.ids.slice(0, 6);
        const refused = ids[1]!;
        // A deal deleted between the sync that scored it and the write-back.
        const gone = h.remove && !skip.deletes ? ids[4]! : null;
        await refuse([refused]);
        if (gone) await h.remove!([gone]);
        const categories = ['Low', 'Medium', 'High', 'Critical'] as const;
        const updates: DealUpdate[] = ids.map((id, i) => ({
          externalId: id,
          fields: aRisk({ score: 40 + i, category: categories[i % 4] }),
        }));
        const results = await (await h.connect()).writeBack(updates);

        expect(results.map((r) => r.externalId)).toEqual(ids);
        const bad = new Set([refused, ...(gone ? [gone] : [])]);
        for (const [i, r] of results.entries()) {
          if (bad.has(r.externalId)) {
            expect(r.ok, `${r.externalId} must be refused`).toBe(false);
            expect(r.error?.code, `${r.externalId} names the CRM's error code`).toMatch(/\S/);
            expect(r.error?.message).toMatch(/\S/);
          } else {
            expect(r, `${r.externalId} was written`).toEqual({ externalId: ids[i], ok: true });
            expect(await readRisk(r.externalId)).toEqual({ score: 40 + i, category: categories[i % 4] });
          }
        }
        expect(await readRisk(refused)).not.toEqual({ score: 41, category: 'Medium' });
      }),
    );

    optional('tasks', 'creates one task per key: the same key again, in the same call or the next run, adds none', () =>
      withSource('small', async (h) => {
        const count = need(h.tasksWithKey, 'tasksWithKey', name);
        const first = await sync(await h.connect(), null);
        const a = aTask(first.ids[0]!, 'call-buyer', h.now());
        const b = aTask(first.ids[1]!, 'call-buyer', h.now());

        const once = await (await h.connect()).upsertTasks([a, b, a]);
        expect(once.map((r) => r.key)).toEqual([a.key, b.key, a.key]);
        expect(
          once.every((r) => r.ok),
          JSON.stringify(once),
        ).toBe(true);
        expect(once.slice(0, 2).map((r) => r.status)).toEqual(['created', 'created']);
        expect(['created', 'open']).toContain(once[2]!.status);

        const again = await (await h.connect()).upsertTasks([a, b]);
        expect(again.map((r) => r.key)).toEqual([a.key, b.key]);
        for (const [i, r] of again.entries()) {
          expect(r.ok).toBe(true);
          expect(['open', 'completed']).toContain(r.status);
          if (r.taskId && once[i]!.taskId) expect(r.taskId).toBe(once[i]!.taskId);
        }
        expect(await count(a.key)).toBe(1);
        expect(await count(b.key)).toBe(1);
      }),
    );

    optional('revokedToken', 'stops the run with crm_auth_revoked when the token is revoked mid-sync, and asks for re-authorization', () =>
      withSource('paged', async (h) => {
        const [revoke, reauth] = [need(h.revokeToken, 'revokeToken', name), need(h.reauthRequests, 'reauthRequests', name)];
        const it = (await h.connect()).fetchChanges({ cursor: null })[Symbol.asyncIterator]();
        expect((await it.next()).done).toBe(false);
        await revoke();
        const rest = await drain(it);
        expect(isAppError(rest.error, 'crm_auth_revoked'), describeError(rest.error)).toBe(true);
        expect(rest.pages, 'pages delivered after the token was revoked').toBe(0);
        expect(reauth()).toBeGreaterThan(0);
        expect(handleSyncError(rest.error, 'fetch', h.now()).connection?.status).toBe('needs_reauth');
        if (!skip.writeBack) {
          const write = await (await h.connect()).writeBack([{ externalId: (await h.liveIds())[0]!, fields: aRisk() }]).then(
            (r) => r,
            (e: unknown) => e,
          );
          expect(isAppError(write, 'crm_auth_revoked'), `writeBack after revocation: ${describeError(write)}`).toBe(true);
        }
      }),
    );

    optional('exhaustedQuota', 'stops the run with crm_quota_exhausted when the API quota runs out mid-sync, pausing the connection', () =>
      withSource('paged', async (h) => {
        const exhaust = need(h.exhaustQuota, 'exhaustQuota', name);
        const c = await h.connect();
        const it = c.fetchChanges({ cursor: null })[Symbol.asyncIterator]();
        expect((await it.next()).done).toBe(false);
        await exhaust();
        const callsBefore = c.usage().calls;
        const rest = await drain(it);
        expect(isAppError(rest.error, 'crm_quota_exhausted'), describeError(rest.error)).toBe(true);
        expect(rest.pages, 'pages delivered after the quota ran out').toBe(0);
        // A spent daily quota is not retried: at most the one call that met it.
        expect(c.usage().calls - callsBefore).toBeLessThanOrEqual(1);
        const now = h.now();
        const policy = handleSyncError(rest.error, 'fetch', now);
        expect(policy.status).toBe('paused');
        expect(policy.connection?.pausedUntil?.getTime()).toBeGreaterThan(now.getTime());
      }),
    );

    optional('fetchByIds', 'reads named deals by id as a sync delivers them, each once; a deleted one comes back among deletedIds', () =>
      withSource('small', async (h) => {
        const first = await sync(await h.connect(), null);
        const [edited, other, gone] = [first.ids[0]!, first.ids[3]!, first.ids[5]!];
        const removes = Boolean(h.remove && !skip.deletes);
        await h.elapse(10 * MINUTE);
        await h.edit([edited]);
        if (removes) await h.remove!([gone]);
        await h.elapse(MINUTE);
        const c = await h.connect();
        const fetchByIds = need(c.fetchByIds, 'fetchByIds', name).bind(c);
        // As a webhook names them: repeats (HubSpot retries, several events per deal) included.
        const page = await fetchByIds([edited, other, edited, ...(removes ? [gone] : [])]);
        expect(page.cursor, 'reading by id moves no cursor').toBeNull();
        expect(page.unreadable ?? []).toEqual([]);
        const byId = dealsOf(c, page.records);
        expect(sorted(page.records.map(dealIdOf(c))), 'each named live deal once').toEqual(sorted([edited, other]));
        expect(page.deletedIds).toEqual(removes ? [gone] : []);
        // The same deals, field for field (the edit included), as a sync of the source maps them now.
        const synced = dealsOf(
          c,
          (await sync(await h.connect(), null)).pages.flatMap((p) => p.records),
        );
        for (const id of [edited, other]) expect(byId.get(id), `${id} read by id`).toEqual(synced.get(id));
        expect(c.usage().calls, 'reading by id calls the CRM').toBeGreaterThan(0);
      }),
    );

    optional(
      'changedSince',
      'names each deal changed since the mark once, deletions included; past the limit it names none and moves on',
      () =>
        withSource('small', async (h) => {
          const first = await sync(await h.connect(), null);
          // The worker builds a connector per poll and keeps only the mark.
          const poll = async (mark: string | null, limit = 50) => {
            const c = await h.connect();
            return need(c.changedSince, 'changedSince', name).call(c, mark, limit);
          };
          const start = await poll(null);
          expect(start, 'the first poll starts after the latest change').toMatchObject({ ids: [], more: false });
          const [a, b, gone] = [first.ids[0]!, first.ids[1]!, first.ids[2]!];
          const removes = Boolean(h.remove && !skip.deletes);
          await h.elapse(MINUTE);
          await h.edit([a, b]);
          if (removes) await h.remove!([gone]);
          await h.elapse(MINUTE);
          const found = await poll(start.mark);
          expect(found.more).toBe(false);
          expect(sorted(found.ids)).toEqual(sorted([a, b, ...(removes ? [gone] : [])]));
          expect((await poll(found.mark)).ids, 'a change is named once').toEqual([]);

          // A mass update: more than the limit changed, none named, the mark moves past them all.
          await h.elapse(MINUTE);
          await h.edit(first.ids.slice(3, 9));
          const over = await poll(found.mark, 5);
          expect(over).toMatchObject({ ids: [], more: true });
          expect((await poll(over.mark)).ids, 'what the regular sync reads is not named later').toEqual([]);
          await h.elapse(MINUTE);
          await h.edit([b]);
          expect((await poll(over.mark)).ids, 'and the next change is').toEqual([b]);
        }),
    );
  });
}
