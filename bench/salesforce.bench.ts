// Salesforce connector: API calls a sync uses against the minimum, on a nock-backed org that
// answers like Salesforce (2,000-row query pages, queryAll, Bulk API 2.0 CSV results paged by
// Sforce-Locator, 200-record sObject Collections). Real jsforce 3.10.16 end to end.
// Minimum (issue 4): ⌈N/2000⌉ query pages for N changed opportunities, ⌈M/200⌉ writes for M
// changed scores (+ history queries), and 1 call for an hourly sync with nothing new.
// Run: npx tsx bench/salesforce.bench.ts   (or: npm run bench -- salesforce)
import nock from 'nock';
import { encodeCursor, SEEN_MAX } from '../connectors/salesforce/cursor.ts';
import type { SalesforceConnector } from '../connectors/salesforce/index.ts';
import type { TaskRequest } from '../connectors/types.ts';
import { connectorFor, memoryCredentials, riskFields } from '../test/integration/salesforce/helpers.ts';
import { FakeOrg } from '../test/integration/salesforce/support/fake-org.ts';

nock.disableNetConnect();

const NOW = Date.parse('2026-05-02T10:00:00Z');
const HOUR = 3_600_000;
const ceil = (a: number, b: number): number => Math.ceil(a / b);
const fmt = (n: number): string => n.toLocaleString('en');
const reads: string[] = [];
const writes: string[] = [];
const by = (calls: Record<string, number>): string =>
  Object.entries(calls)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

async function drain(sf: SalesforceConnector, cursor: string | null): Promise<number> {
  let n = 0;
  for await (const p of sf.fetchChanges({ cursor })) n += p.records.length;
  return n;
}

interface ReadCase {
  label: string;
  /** Opportunities in the org; the changed ones are the newest `changed`. */
  org: number;
  changed: number;
  first: boolean;
  history: boolean;
  bulkThreshold?: number;
}

async function readCase(c: ReadCase): Promise<void> {
  const org = new FakeOrg({ opportunities: c.org, changedWithinMs: c.first ? 365 * 24 * HOUR : HOUR, now: NOW });
  const sf = await connectorFor(memoryCredentials(), { history: c.history, bulkThreshold: c.bulkThreshold ?? 10_000 });
  const cursor = c.first ? null : cursorAfter(org, c.org - c.changed);
  const t0 = performance.now();
  const got = await drain(sf, cursor); // includes overlap records past the cursor's memory
  const ms = performance.now() - t0;
  const pages = (org.calls['query Opportunity'] ?? 0) + (org.calls['queryMore Opportunity'] ?? 0);
  const bulk = c.first && (c.bulkThreshold ?? 10_000) >= 0 && c.org > (c.bulkThreshold ?? 10_000);
  const min = Math.max(1, ceil(c.changed, 2000));
  reads.push(
    `| ${c.label} | ${fmt(c.changed)} | ${got === c.changed ? 'all' : got > c.changed ? `all + ${fmt(got - c.changed)} again` : `${got} (!)`} | ${bulk ? 'Bulk 2.0 job' : `${pages} / ${min}`} | ${sf.usage().calls} | ${by(org.calls)} | ${ms.toFixed(0)} ms |`,
  );
  if (sf.usage().calls !== org.totalCalls) throw new Error(`metered ${sf.usage().calls} calls, org saw ${org.totalCalls}`);
  org.stop();
}

/**
 * The cursor a previous sync would have left after storing the first `stored` opportunities:
 * their highest stamp, and the versions inside the 5-minute overlap it remembers.
 */
function cursorAfter(org: FakeOrg, stored: number): string {
  const stamp = (i: number) => Date.parse(org.opps[i]!.SystemModstamp.replace('+0000', 'Z'));
  const ts = stamp(stored - 1);
  const seen: string[] = [];
  for (let i = stored - 1; i >= 0 && stamp(i) >= ts - 5 * 60_000 - 1000 && seen.length < SEEN_MAX; i--)
    seen.push(`${org.opps[i]!.Id}@${stamp(i)}`);
  return encodeCursor({ ts: new Date(ts), seen: seen.reverse() });
}

async function writeCase(m: number): Promise<void> {
  const org = new FakeOrg({ opportunities: m, changedWithinMs: HOUR, now: NOW });
  const sf = await connectorFor(memoryCredentials());
  const results = await sf.writeBack(org.opps.map((o) => ({ externalId: o.Id, fields: riskFields() })));
  if (!results.every((r) => r.ok)) throw new Error('a write failed');
  const used = org.calls['update collection'] ?? 0;
  writes.push(
    `| risk write-back, ${fmt(m)} changed scores | ${fmt(m)} | ${used} / ${ceil(m, 200)} | ${sf.usage().calls} | ${by(org.calls)} |`,
  );
  org.stop();
}

async function taskCase(n: number): Promise<void> {
  const org = new FakeOrg({ opportunities: n, changedWithinMs: HOUR, now: NOW });
  const sf = await connectorFor(memoryCredentials());
  const tasks: TaskRequest[] = org.opps.map((o) => ({
    key: `${o.Id}:call-economic-buyer`,
    dealExternalId: o.Id,
    ownerId: '005xx000001X8UzAAK',
    subject: 'Risk: call the economic buyer',
    description: 'No activity for 41 days.',
    priority: 'high',
    dueDate: new Date(NOW),
  }));
  await sf.upsertTasks(tasks);
  writes.push(
    `| tasks, ${fmt(n)} new | ${fmt(n)} | ${org.calls['create collection'] ?? 0} / ${ceil(n, 200)} | ${sf.usage().calls} | ${by(org.calls)} |`,
  );
  for (const k of Object.keys(org.calls)) delete org.calls[k];
  const again = await connectorFor(memoryCredentials());
  await again.upsertTasks(tasks);
  writes.push(
    `| tasks, same ${fmt(n)} again (all exist) | ${fmt(n)} | ${org.calls['create collection'] ?? 0} / 0 | ${again.usage().calls} | ${by(org.calls)} |`,
  );
  org.stop();
}

const readBacks: string[] = [];

/** Task read-back (issue 16): `followed` open tasks of ours, `completed` of them closed by reps since. */
async function readBackCase(followed: number, completed: number, fromMark: boolean): Promise<void> {
  const org = new FakeOrg({ opportunities: followed, changedWithinMs: HOUR, now: NOW });
  const made = await (await connectorFor(memoryCredentials())).upsertTasks(
    org.opps.map((o) => ({
      key: `${o.Id}:multithread`,
      dealExternalId: o.Id,
      ownerId: '005xx000001X8UzAAK',
      subject: 'Add a second contact',
      description: 'Only one contact.',
      priority: 'normal' as const,
      dueDate: new Date(NOW),
    })),
  );
  org.completeTasks(completed, new Date(NOW + 2 * HOUR));
  for (const k of Object.keys(org.calls)) delete org.calls[k];
  const sf = await connectorFor(memoryCredentials());
  // From a mark: the last read came after the tasks were created (their stamps are before it).
  const mark = fromMark ? new Date(NOW + HOUR).toISOString() : null;
  const t0 = performance.now();
  const r = await sf.readTaskStates!({ taskIds: made.map((m) => m.taskId!), mark, since: new Date(NOW - HOUR) });
  const ms = performance.now() - t0;
  if (r.states.length !== completed) throw new Error(`read back ${r.states.length} completions, expected ${completed}`);
  const changed = fromMark ? completed : followed;
  readBacks.push(
    `| ${fromMark ? 'next read, from the mark' : 'first read'}: ${fmt(followed)} open tasks followed, ${fmt(completed)} completed | ${fmt(changed)} | ${fmt(r.states.length)} | ${sf.usage().calls} / ${Math.max(1, ceil(changed, 2000))} | ${by(org.calls)} | ${ms.toFixed(0)} ms |`,
  );
  org.stop();
}

await readCase({ label: 'hourly sync, nothing new', org: 5000, changed: 0, first: false, history: true });
await readCase({ label: 'hourly, 150 changed (history on)', org: 5000, changed: 150, first: false, history: true });
await readCase({ label: 'hourly, 150 changed (history off)', org: 5000, changed: 150, first: false, history: false });
await readCase({ label: 'hourly, 5,000 changed (history on)', org: 20_000, changed: 5000, first: false, history: true });
await readCase({ label: 'hourly, 5,000 changed (history off)', org: 20_000, changed: 5000, first: false, history: false });
await readCase({ label: 'first sync, 9,000 (REST, history on)', org: 9000, changed: 9000, first: true, history: true });
await readCase({ label: 'first sync, 9,000 (REST, history off)', org: 9000, changed: 9000, first: true, history: false });
await readCase({ label: 'first sync, 100,000 (Bulk 2.0, history off)', org: 100_000, changed: 100_000, first: true, history: false });
await readCase({
  label: 'first sync, 100,000 (REST forced, history off)',
  org: 100_000,
  changed: 100_000,
  first: true,
  history: false,
  bulkThreshold: -1,
});
for (const m of [1, 250, 1000]) await writeCase(m);
await taskCase(250);
await readBackCase(250, 40, false);
await readBackCase(250, 40, true);
await readBackCase(250, 0, true);
await readBackCase(5000, 1000, false);
await readBackCase(5000, 1000, true);

console.log(`Real jsforce 3.10.16 against a nock-backed org (test/integration/salesforce/support/fake-org.ts).
"calls" is what the connector metered on its own transport and equals what the org counted;
history = OpportunityStage once per run plus OpportunityHistory and OpportunityFieldHistory per
page (OpportunityHistory pages again when a page's opportunities have more than 2,000 history
rows: 3 rows each here), and the open Task and OpportunityContactRole counts per 400 records of
a page (GROUP BY results cannot page: each count names at most 400 ids, so no aggregate can pass
Salesforce's 2,000-row limit however many opportunities share a SystemModstamp).
A first sync adds one SELECT COUNT() to choose REST or Bulk 2.0 (threshold 10,000).
Incremental runs query from the cursor minus the 5-minute overlap; the overlap's records
come back and are skipped, since the cursor remembers up to ${fmt(SEEN_MAX)} of them. In a busy org
(20,000 edits an hour) the overlap holds ~1,700 records: they can cost one extra page, and the
ones past the cursor's memory are delivered again (harmless: their input hash is unchanged).

### Reads

| case | changed | delivered | query pages used / minimum | calls in total | calls by operation | wall time here |
| --- | --- | --- | --- | --- | --- | --- |
${reads.join('\n')}

### Writes

| case | records | write calls used / minimum | calls in total | calls by operation |
| --- | --- | --- | --- | --- |
${writes.join('\n')}

### Task read-back (issue 16)

One query for our keyed tasks changed since the mark (queryAll, so deleted ones show), whatever
the number followed; the sync asks at most every 6 hours, and not at all without an open task.

| case | tasks changed since the mark | completions found | calls used / minimum | calls by operation | wall time here |
| --- | --- | --- | --- | --- | --- |
${readBacks.join('\n')}`);
