import { createHash } from 'node:crypto';
import { parseEnv } from '../../../config/env.ts';
import type { AppContext } from '../../../src/context.ts';
import { parsePlaybook } from '../../../src/core/actions/playbook.ts';
import { Deal, type DealInput } from '../../../src/core/deal.ts';
import { AppError } from '../../../src/core/errors.ts';
import { silentLogger } from '../../../src/log.ts';
import type { OAuthProvider, ScoringPort, SyncPort, WebDeps } from '../../../src/server/deps.ts';
import { startWeb } from '../../../src/server/index.ts';
import type { StoredScore } from '../../../src/store/repos/scores.ts';
import { createTestStore, type TestStore } from '../../helpers/store.ts';

export const NOW = new Date('2026-11-24T10:00:00Z');

/**
 * A CRM OAuth double standing in for a connector's helpers: the "authorize page" is skipped, the
 * code names who signs in (`org:ORG|user:U|name:N`), and PKCE is checked like a real server does.
 */
export function fakeOAuth(crm: 'salesforce' | 'hubspot', authorizeBase = 'https://crm.test'): OAuthProvider & { revoked: string[] } {
  const challenges = new Map<string, string>();
  const revoked: string[] = [];
  return {
    crm,
    label: crm,
    revoked,
    authorizeUrl(p) {
      challenges.set(p.state, p.codeChallenge);
      const u = new URL(`${authorizeBase}/${crm}/authorize`);
      u.searchParams.set('state', p.state);
      u.searchParams.set('redirect_uri', p.redirectUri);
      u.searchParams.set('env', p.environment);
      return u.toString();
    },
    async exchange(p) {
      const fields = Object.fromEntries(p.code.split('|').map((kv) => kv.split(':') as [string, string]));
      const verifierHash = createHash('sha256').update(p.codeVerifier).digest('base64url');
      if (![...challenges.values()].includes(verifierHash))
        throw new AppError('crm_bad_request', 'PKCE verifier does not match the challenge');
      return {
        credentials: {
          accessToken: `AT-${fields.user}`,
          refreshToken: `RT-${fields.user}`,
          accountId: fields.org,
          instanceUrl: `https://${fields.org}.crm.test`,
        },
        account: { id: fields.org!, name: `Org ${fields.org}`, instanceUrl: `https://${fields.org}.crm.test` },
        user: { id: fields.user!, name: fields.name ?? null, email: fields.email ?? null },
      };
    },
    async revoke(c) {
      revoked.push(c.accessToken);
    },
  };
}

const PLAYBOOK = {
  version: 1,
  rules: [
    {
      id: 'crit',
      action: 'exec_call',
      title: 'Executive call',
      priority: 'immediate',
      rationale: 'Score {score}',
      when: { category: ['Critical'] },
    },
  ],
};

/**
 * Scoring and sync doubles that answer from the store, per tenant, so a leak between tenants
 * would show up in their answers. The real services have their own tests.
 */
export function fakeServices(t: TestStore) {
  const calls: Array<{ op: string; tenantId: string }> = [];
  const playbooks = new Map<string, unknown>();
  const scoring: ScoringPort = {
    async scoreDeal(tenantId, deal) {
      calls.push({ op: 'score', tenantId });
      const risk = Math.min(99, Math.round((deal.amount ?? 0) / 1000));
      return {
        riskScore: risk,
        category: risk > 75 ? 'Critical' : risk > 50 ? 'High' : risk > 25 ? 'Medium' : 'Low',
        winProbability: 1 - risk / 100,
        lossProbability: risk / 100,
        confidence: 'medium',
        modelVersion: 1,
        modelStatus: 'ok',
        scoredAt: NOW.toISOString(),
        drivers: [{ feature: 'amount', label: 'Amount', contribution: 0.4, direction: 'raises_risk', sentence: `Scored for ${tenantId}` }],
        actions: [],
        similarWon: [],
        note: null,
      };
    },
    async metrics(tenantId) {
      calls.push({ op: 'metrics', tenantId });
      const open = await t.store.deals.list(tenantId, { status: 'open' });
      const raw = open.reduce((a, d) => a + (d.amount ?? 0), 0);
      return {
        asOf: NOW.toISOString(),
        openDeals: open.length,
        rawPipeline: raw,
        rapv: raw * 0.6,
        optimismGap: 0.4,
        expectedValue: raw * 0.5,
        rem: 120,
        winRate: 0.42,
        averageDealSize: 20000,
        averageCycleDays: 70,
        revenueAtRisk: raw * 0.3,
        potentialRecovery: {
          amount: raw * 0.03,
          interventionSuccessRate: 0.2,
          assumption: '20% of at-risk deals are saved by an intervention',
        },
        segments: [{ segment: `${tenantId}-segment`, won: 10, lost: 12, winRate: 0.45, interval: { low: 0.26, high: 0.66 } }],
      };
    },
    async diagnostics(tenantId) {
      calls.push({ op: 'diagnostics', tenantId });
      return {
        winRateByMonth: [
          { period: '2026-07', won: 10, lost: 8, winRate: 0.56 },
          { period: '2026-08', won: 9, lost: 9, winRate: 0.5 },
          { period: '2026-09', won: 5, lost: 12, winRate: 0.29 },
          { period: '2026-10', won: 4, lost: 13, winRate: 0.24 },
        ],
        changePoint: { period: '2026-09', before: 0.53, after: 0.26 },
        stageFunnel: [
          { stage: 'Qualify', reached: 100, conversion: 0.6, medianDays: 12 },
          { stage: 'Proposal', reached: 60, conversion: 0.5, medianDays: 20 },
          { stage: 'Negotiation', reached: 30, conversion: 0.6, medianDays: 15 },
        ],
        cycle: { wonMedianDays: 45, lostMedianDays: 80, won: 28, lost: 42 },
        owners: [
          { ownerId: 'o1', ownerName: `Owner of ${tenantId}`, won: 10, lost: 8, winRate: 0.55, medianCycleDays: 40, highRiskOpen: 3 },
        ],
        insights: [{ text: `Partner-sourced deals of ${tenantId} win 32% vs 45% elsewhere`, impact: 120000 }],
      };
    },
    async modelPerformance(tenantId) {
      calls.push({ op: 'model', tenantId });
      const models = await t.store.models.list(tenantId);
      const active = models.find((m) => m.active) ?? null;
      return {
        status: active ? 'ok' : 'none',
        statusText: active ? 'ok' : 'no model yet',
        modelId: active?.id ?? null,
        version: active?.version ?? null,
        trainedAt: active?.trainedAt.toISOString() ?? null,
        backtest: active
          ? {
              auc: 0.81,
              aucLow: 0.77,
              aucHigh: 0.85,
              prAuc: 0.7,
              logLoss: 0.52,
              priorLogLoss: 0.68,
              brier: 0.17,
              priorBrier: 0.24,
              liftTop20: 1.8,
              nTrain: 800,
              nTest: 200,
              baselines: [],
            }
          : null,
        calibration: [0.1, 0.3, 0.5, 0.7, 0.9].map((x) => ({ predicted: x, observed: x + 0.02, n: 40 })),
        segments: [{ segment: 'SaaS', won: 40, lost: 30, winRate: 0.57, interval: { low: 0.45, high: 0.68 } }],
        droppedFeatures: [{ feature: 'extras.closed_reason', auc: 0.99 }],
        history: models.map((m) => ({
          id: m.id,
          version: m.version,
          status: m.status,
          active: m.active,
          trainedAt: m.trainedAt.toISOString(),
          auc: 0.8,
        })),
        drift: null,
        lastTraining: null,
      };
    },
    async rollback(tenantId, modelId) {
      calls.push({ op: 'rollback', tenantId });
      await t.store.models.activate(tenantId, modelId);
    },
    playbook: {
      async get(tenantId) {
        return { overridden: playbooks.has(tenantId), playbook: playbooks.get(tenantId) ?? PLAYBOOK };
      },
      async save(tenantId, doc) {
        const p = parsePlaybook(doc, 'playbook');
        playbooks.set(tenantId, p);
        return { overridden: true, playbook: p };
      },
    },
  };
  const sync: SyncPort = {
    async requestSync(tenantId) {
      calls.push({ op: 'requestSync', tenantId });
      return { requested: true, requestedAt: NOW, message: 'A sync will start within a minute.' };
    },
    async runs(tenantId) {
      calls.push({ op: 'runs', tenantId });
      return [
        {
          id: 1,
          connectionId: null,
          trigger: 'schedule',
          status: 'partial',
          startedAt: NOW.toISOString(),
          finishedAt: NOW.toISOString(),
          durationMs: 1200,
          counts: { fetched: 10, rejected: 1, scored: 9, written: 9, failed: 0 },
          apiCalls: 3,
          errors: [],
          rejected: [{ step: 'map' as const, recordId: `${tenantId}-bad-1`, field: 'amount', reason: 'not a number: "12k€?"' }],
          cleaned: [],
        },
      ];
    },
    async digest(tenantId) {
      calls.push({ op: 'digest', tenantId });
      const list = await t.store.dealRisk.list(tenantId, { categories: ['High', 'Critical'], limit: 10, offset: 0 });
      return {
        asOf: NOW.toISOString(),
        owners: [
          {
            ownerId: null,
            ownerName: null,
            deals: list.rows.map((r) => ({
              externalId: r.externalId,
              name: r.name,
              amount: r.amount,
              riskScore: r.score,
              category: r.category,
              firstAction: null,
            })),
          },
        ],
        summary: { highRisk: list.total, critical: 0, revenueAtRisk: 0 },
      };
    },
  };
  return { scoring, sync, calls };
}

export function deal(tenantId: string, o: Partial<DealInput> = {}): Deal {
  return Deal.parse({
    tenantId,
    source: 'salesforce',
    externalId: 'X',
    name: 'Deal',
    amount: 10_000,
    stage: { label: 'Proposal', status: 'open', order: 2 },
    createdAt: new Date('2026-08-01T00:00:00Z'),
    owner: { id: 'o1', name: 'Ada' },
    account: { id: 'a1', name: 'Acme', industry: 'SaaS', region: null, country: null, size: null },
    ...o,
  });
}

export function scoreOf(externalId: string, score: number, category: string, source = 'salesforce'): StoredScore {
  return {
    source,
    externalId,
    modelId: null,
    scoredAt: NOW,
    score,
    category,
    winProbability: 1 - score / 100,
    modelStatus: 'ok',
    inputHash: 'h',
    detail: {
      confidence: 'high',
      drivers: [
        {
          feature: 'age_ratio',
          label: 'Age',
          contribution: 0.8,
          direction: 'raises_risk',
          winRate: 0.3,
          overallWinRate: 0.45,
          sentence: `Open 94 days (${externalId})`,
        },
      ],
      actions: [
        { action: 'exec_call', rule: 'crit', title: `Call the sponsor of ${externalId}`, priority: 'immediate', rationale: 'Critical' },
      ],
    },
  };
}

export interface Web {
  t: TestStore;
  ctx: AppContext;
  url: string;
  deps: WebDeps;
  oauth: { salesforce: ReturnType<typeof fakeOAuth>; hubspot: ReturnType<typeof fakeOAuth> };
  calls: Array<{ op: string; tenantId: string }>;
  close(): Promise<void>;
}

/** One store and one running web app for a whole test file. */
export async function startTestWeb(
  opts: {
    keyRatePerMinute?: number;
    loginPerMinute?: number;
    keyCacheMs?: number;
    oauth?: WebDeps['oauth'];
    sandbox?: WebDeps['sandbox'];
    /** The real scoring service instead of the double (built on the test's store). */
    scoring?: (t: TestStore, now: () => Date) => ScoringPort;
    /** The real sync port instead of the double (built on the test's context). */
    sync?: (ctx: AppContext) => SyncPort;
    /** Extra environment variables (e.g. TRUST_PROXY). */
    env?: Record<string, string>;
  } = {},
): Promise<Web> {
  const t = await createTestStore();
  const env = parseEnv({
    NODE_ENV: 'test',
    SESSION_SECRET: 'test-session-secret-0123456789',
    DATA_DIR: '/tmp/dealrisk-test-unused',
    ...opts.env,
  });
  let now = NOW;
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => now, close: async () => undefined };
  void ((d: Date) => (now = d));
  const services = fakeServices(t);
  // Tests that pass their own providers do not read the doubles' `revoked` lists.
  const oauth = (opts.oauth ?? { salesforce: fakeOAuth('salesforce'), hubspot: fakeOAuth('hubspot') }) as Web['oauth'];
  const deps: WebDeps = {
    scoring: opts.scoring ? opts.scoring(t, () => now) : services.scoring,
    sync: opts.sync ? opts.sync(ctx) : services.sync,
    oauth,
    sandbox: opts.sandbox ?? null,
  };
  const web = await startWeb(ctx, deps, {
    host: '127.0.0.1',
    port: 0,
    loginPerMinute: opts.loginPerMinute ?? 1000,
    keyRatePerMinute: opts.keyRatePerMinute ?? 600,
    keyCacheMs: opts.keyCacheMs ?? 50,
  });
  return {
    t,
    ctx,
    url: web.url,
    deps,
    oauth,
    calls: services.calls,
    async close() {
      await web.close();
      await t.drop();
    },
  };
}
