// HubSpot connector: API calls a sync uses against the minimum, on a nock-backed portal that
// answers like HubSpot (recorded payload shapes, 10,000-result search cap, 100-record batches,
// 50-record batch reads with history).
// Time is simulated (injected clock), so "simulated time on HubSpot's budget" is how long the
// calls take when paced at 99 calls / 10 s and 4 searches / s, without sleeping for it here.
// Run: npx tsx bench/hubspot.bench.ts   (or: npm run bench -- hubspot)
import nock from 'nock';
import { createHubSpotConnector } from '../connectors/hubspot/connector.ts';
import type { DealUpdate, TaskRequest } from '../connectors/types.ts';
import { type Mapping, parseMapping } from '../src/mapping/schema.ts';
import { hubspotMapping, MemoryCredentials, TestClock } from '../test/integration/hubspot/support/connector.ts';
import { aDeal, type FakeDeal, FakeHubSpot } from '../test/integration/hubspot/support/fake-hubspot.ts';

nock.disableNetConnect();

const fullMapping = hubspotMapping();
/** The same mapping without the fields that need extra batch reads (history, companies). */
const leanMapping: Mapping = parseMapping(
  {
    ...fullMapping,
    fields: Object.fromEntries(
      Object.entries(fullMapping.fields).filter(
        ([, f]) => ![f.from].flat().some((p) => /^_derived\.(stageHistory|stageEnteredAt|closeDatePushes|company)/.test(String(p))),
      ),
    ),
  },
  'bench lean mapping',
);

const ceil = (a: number, b: number): number => Math.ceil(a / b);
const rows: string[] = [];
const row = (...cells: Array<string | number>): void => void rows.push(`| ${cells.join(' | ')} |`);

function portal(n: number, clock: TestClock, changedWithinMs: number): FakeDeal[] {
  return Array.from({ length: n }, (_, i) => {
    const d = aDeal(i, { companyId: String(407218578642 + (i % 500)) });
    d.properties.hs_lastmodifieddate = new Date(
      clock.t - changedWithinMs + Math.floor((i * changedWithinMs) / Math.max(1, n)),
    ).toISOString();
    return d;
  });
}
const companies = Object.fromEntries(
  Array.from({ length: 500 }, (_, i) => [
    String(407218578642 + i),
    { name: `Company ${i}`, industry: 'COMPUTER_SOFTWARE', country: 'United States', state: 'MA', numberofemployees: '120' },
  ]),
);

function connector(clock: TestClock, mapping: Mapping) {
  return createHubSpotConnector({
    tenantId: 'bench',
    mapping,
    credentials: new MemoryCredentials({ accessToken: 'pat-na1-bench', refreshToken: null, accountId: '147893286' }),
    basePath: 'https://api.hubapi.com',
    now: clock.now,
    sleep: clock.sleep,
  });
}

const incrementalCursor = (clock: TestClock, sinceMs: number, archivedAgoMs = 0): string =>
  JSON.stringify({
    v: 1,
    phase: 'incremental',
    since: new Date(clock.t - sinceMs).toISOString(),
    run: null,
    archivedCheckedAt: new Date(clock.t - archivedAgoMs).toISOString(),
  });

async function drain(c: ReturnType<typeof connector>, cursor: string | null): Promise<number> {
  let n = 0;
  for await (const p of c.fetchChanges({ cursor })) n += p.records.length;
  return n;
}

function breakdown(by: Record<string, number>): string {
  return Object.entries(by)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function syncCase(label: string, n: number, mapping: Mapping, first: boolean, bunched = false): Promise<void> {
  const clock = new TestClock();
  // bunched: every change at one instant, as after our own batch write-back.
  const fake = new FakeHubSpot({
    deals: portal(n, clock, bunched ? 0 : 50 * 60_000).map((d) =>
      bunched ? { ...d, properties: { ...d.properties, hs_lastmodifieddate: new Date(clock.t - 20 * 60_000).toISOString() } } : d,
    ),
    companies,
    rateHeaders: true,
  });
  const c = connector(clock, mapping);
  const t0 = clock.t;
  const wall = performance.now();
  const got = await drain(c, first ? null : incrementalCursor(clock, 60 * 60_000));
  const ms = performance.now() - wall;
  const u = c.hubspotUsage();
  const pages = first ? (u.byOperation['list deals'] ?? 0) : (u.byOperation['search deals'] ?? 0);
  const min = first ? ceil(n, 100) : ceil(n, 200);
  row(
    label,
    n.toLocaleString('en'),
    got === n ? 'all' : `${got} (!)`,
    `${pages} / ${min}`,
    u.calls,
    breakdown(u.byOperation),
    `${((clock.t - t0) / 1000).toFixed(1)} s`,
    `${ms.toFixed(0)} ms`,
  );
  if (fake.maxSearchDepth > 10_000) throw new Error('a search paged past the 10,000 cap');
  fake.stop();
}

async function main(): Promise<void> {
  console.log('### Reads\n');
  row(
    'case',
    'deals',
    'delivered',
    'pages used / minimum',
    'calls in total',
    'calls by operation',
    'simulated time on HubSpot budget',
    'wall time here',
  );
  row('---', '---', '---', '---', '---', '---', '---', '---');
  {
    const clock = new TestClock();
    const fake = new FakeHubSpot({ deals: portal(1, clock, 3 * 3_600_000) });
    const c = connector(clock, fullMapping);
    await drain(c, incrementalCursor(clock, 3_600_000, 3_600_000));
    row(
      'hourly sync, nothing new',
      0,
      'all',
      `${c.hubspotUsage().byOperation['search deals']} / 1`,
      c.usage().calls,
      breakdown(c.hubspotUsage().byOperation),
      '0.0 s',
      '-',
    );
    fake.stop();
  }
  await syncCase('hourly, 150 changed (default mapping)', 150, fullMapping, false);
  await syncCase('hourly, 1,000 changed (default mapping)', 1000, fullMapping, false);
  await syncCase('hourly, 1,000 changed (no history/company fields)', 1000, leanMapping, false);
  await syncCase('window split: 25,000 changed in one hour', 25_000, leanMapping, false);
  await syncCase('12,000 changed at one instant (echo of a bulk write)', 12_000, leanMapping, false, true);
  await syncCase('first sync, 5,000 deals (list endpoint, default mapping)', 5000, fullMapping, true);
  console.log(rows.splice(0).join('\n'));

  console.log('\n### Writes\n');
  row('case', 'records', 'write calls used / minimum', 'calls in total', 'calls by operation');
  row('---', '---', '---', '---', '---');
  for (const m of [1, 250, 1000]) {
    const clock = new TestClock();
    const deals = portal(m, clock, 60_000);
    const fake = new FakeHubSpot({ deals, now: clock.now });
    const c = connector(clock, fullMapping);
    const updates: DealUpdate[] = deals.map((d) => ({
      externalId: d.id,
      fields: {
        score: 80,
        category: 'Critical',
        winProbability: 0.2,
        drivers: 'No activity for 41 days',
        action: 'Call the buyer',
        scoredAt: new Date(clock.t),
        modelStatus: 'ok',
      },
    }));
    await c.writeBack(updates);
    row(
      `risk write-back, ${m} changed scores`,
      m,
      `${c.hubspotUsage().byOperation['batch update deals']} / ${ceil(m, 100)}`,
      c.usage().calls,
      breakdown(c.hubspotUsage().byOperation),
    );
    fake.stop();
  }
  {
    const clock = new TestClock();
    const deals = portal(250, clock, 60_000);
    const fake = new FakeHubSpot({ deals });
    const c = connector(clock, fullMapping);
    const tasks: TaskRequest[] = deals.map((d) => ({
      key: `${d.id}:call`,
      dealExternalId: d.id,
      ownerId: '88842095',
      subject: 'Risk: call the buyer',
      description: 'Why: no activity',
      priority: 'high',
      dueDate: new Date(clock.t + 86_400_000),
    }));
    await c.upsertTasks(tasks);
    const first = c.hubspotUsage();
    row('tasks, 250 new', 250, `${first.byOperation['batch create tasks']} / ${ceil(250, 100)}`, first.calls, breakdown(first.byOperation));
    await c.upsertTasks(tasks);
    const again = c.hubspotUsage();
    const reads = (op: string) => (again.byOperation[op] ?? 0) - (first.byOperation[op] ?? 0);
    row(
      'tasks, same 250 again (all exist)',
      250,
      `${reads('batch create tasks')} / 0`,
      again.calls - first.calls,
      `batch read deal tasks ${reads('batch read deal tasks')}, batch read tasks ${reads('batch read tasks')}`,
    );
    fake.stop();
  }
  console.log(rows.splice(0).join('\n'));

  console.log('\n### Task read-back (issue 16)\n');
  row('case', 'completions found', 'search calls used / minimum', 'calls in total', 'simulated time on the search budget');
  row('---', '---', '---', '---', '---');
  for (const [followed, completed] of [
    [250, 40],
    [250, 0],
    [1000, 200],
  ] as const) {
    const clock = new TestClock();
    const deals = portal(followed, clock, 60_000);
    const fake = new FakeHubSpot({ deals, now: clock.now });
    const made = await connector(clock, fullMapping).upsertTasks(
      deals.map((d) => ({
        key: `${d.id}:multithread`,
        dealExternalId: d.id,
        ownerId: '88842095',
        subject: 'Add a second contact',
        description: 'Only one contact.',
        priority: 'normal' as const,
        dueDate: new Date(clock.t + 86_400_000),
      })),
    );
    for (const t of fake.tasks.slice(0, completed)) {
      t.properties.hs_task_status = 'COMPLETED';
      t.properties.hs_task_completion_date = new Date(clock.t).toISOString();
    }
    const c = connector(clock, fullMapping);
    const t0 = clock.t;
    const r = await c.readTaskStates!({ taskIds: made.map((m) => m.taskId!), mark: null, since: new Date(clock.t) });
    if (r.states.length !== completed) throw new Error(`read back ${r.states.length} completions, expected ${completed}`);
    row(
      `${followed.toLocaleString('en')} open tasks followed, ${completed} completed`,
      r.states.length,
      `${c.hubspotUsage().byOperation['search tasks']} / ${ceil(followed, 100)}`,
      c.usage().calls,
      `${((clock.t - t0) / 1000).toFixed(1)} s`,
    );
    fake.stop();
  }
  console.log(rows.splice(0).join('\n'));
}

await main();
