import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../config/env.ts';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/context.ts';
import type { ActionOutcome } from '../../src/core/actions/outcomes.ts';
import { silentLogger } from '../../src/log.ts';
import { type ActionOutcomesReport, actionOutcomesReport } from '../../src/scoring/action-outcomes.ts';
import { loadSyncConfig, type SyncConfig } from '../../src/sync/config.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import type { SyncDeps } from '../../src/sync/run-sync.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { hubspotConnection, salesforceConnection } from '../integration/sync/helpers/sandbox-worker.ts';
import { createTestStore, type TestStore } from './store.ts';

/**
 * The known truth of the action-outcome tests: completing "Add a second contact" (the playbook's
 * multithread action) before the deal closes turns a planned loss into a win half the time;
 * no other action changes anything. Reps complete half the tasks, at random (no rep-to-rep spread:
 * with a few dozen reps, their shares would line up with their win rates by chance, and an
 * action with no effect could then look like one, as it can with real reps).
 */
export const EFFECT = { subject: 'Add a second contact', lossToWin: 0.5 } as const;
const ARTIFACTS = path.resolve('test-artifacts');

export interface ActionWorld {
  sb: Sandbox;
  t: TestStore;
  ctx: AppContext;
  tenant: string;
  /** Syncs every `stepDays` for `days` days of sandbox time. */
  run(o: { days: number; stepDays: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * One CRM of the sandbox with opt-in rep actions, connected to a tenant of a fresh store; the
 * model is trained once, at the first sync (retraining is off), so every score of the months
 * that follow comes from the same model.
 */
export async function actionWorld(crm: 'salesforce' | 'hubspot', o: { deals: number; seed: number }): Promise<ActionWorld> {
  const sb = await startSandbox({
    deals: o.deals,
    seed: o.seed,
    salesforce: { riskFields: 'ready' },
    hubspot: { riskProperties: 'ready' },
    taskCompletionDays: 2,
    repActions: { completionShare: 0.5, repSpread: 0, effects: [EFFECT] },
  });
  const t = await createTestStore();
  const env = parseEnv({
    NODE_ENV: 'test',
    SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
    SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
    HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
    HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
  });
  const ctx: AppContext = { env, logger: silentLogger(), store: t.store, now: () => sb.clock.now(), close: async () => {} };
  const deps: SyncDeps = { ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'e2e' };
  const base = loadSyncConfig();
  const never = 1e9;
  const config: SyncConfig = {
    ...base,
    retrain: {
      ...base.retrain,
      everyHours: never,
      minNewClosed: never,
      minNewClosedShare: 1,
      drift: { ...base.retrain.drift, minClosed: never },
    },
    alerts: { ...base.alerts, enabled: false },
  };
  const tenant = crm === 'salesforce' ? 'sf' : 'hs';
  await t.store.tenants.ensure(tenant);
  await t.store.connections.create(tenant, crm === 'salesforce' ? salesforceConnection(sb) : hubspotConnection(sb), ctx.now());
  return {
    sb,
    t,
    ctx,
    tenant,
    async run({ days, stepDays }) {
      for (let day = 0; day <= days; day += stepDays) {
        const r = await syncTenant(deps, tenant, { base: config, trigger: 'test' });
        const run = r.runs[0];
        if (!run || run.status === 'failed') throw new Error(`${crm} day ${day}: ${JSON.stringify(run?.errors ?? r.error)}`);
        sb.clock.advance({ days: stepDays });
      }
    },
    async close() {
      await t.drop();
      await sb.close();
    },
  };
}

/**
 * The report against the known truth, on one CRM: after months of syncs, completing
 * "multithread" shows a lower loss rate (its interval below 0, and around the true effect), and
 * an action with no effect shows none (its interval around 0).
 */
export function actionOutcomeSuite(
  crm: 'salesforce' | 'hubspot',
  o: { deals: number; seed: number; days: number; stepDays: number; noEffect: string },
): void {
  describe(`action outcomes against the sandbox ${crm === 'salesforce' ? 'Salesforce org' : 'HubSpot portal'}`, () => {
    let w: ActionWorld;
    beforeAll(async () => {
      w = await actionWorld(crm, o);
    }, 300_000);
    afterAll(async () => w?.close());

    const report = () => actionOutcomesReport(w.t.store, w.tenant, w.sb.clock.now());
    const summary = (r: ActionOutcomesReport) =>
      JSON.stringify(
        r.outcomes.map((x) => ({
          key: x.key,
          deals: x.recommended,
          loss: x.lossRate.shown
            ? [
                x.lossRate.deals.acted,
                x.lossRate.deals.notActed,
                x.lossRate.difference.low.toFixed(3),
                x.lossRate.difference.high.toFixed(3),
              ]
            : x.lossRate.reason,
        })),
      );
    const outcome = (r: ActionOutcomesReport, key: string): ActionOutcome => {
      const x = r.outcomes.find((a) => a.key === key);
      if (!x) throw new Error(`no outcome for ${key}: ${summary(r)}`);
      return x;
    };

    it(`syncs ${o.days} days every ${o.stepDays} days, and reads back which tasks the reps completed, and when`, {
      timeout: 3_600_000,
    }, async () => {
      await w.run(o);
      const recs = await w.t.store.actionTasks.recommendations(w.tenant);
      const done = recs.filter((r) => r.completedAt);
      expect(recs.length).toBeGreaterThan(300);
      // Reps complete half of the tasks; a completion is never dated before its task.
      expect(done.length / recs.length).toBeGreaterThan(0.4);
      expect(done.length / recs.length).toBeLessThan(0.6);
      expect(done.every((r) => r.completedAt!.getTime() >= r.recommendedAt.getTime() - 1000)).toBe(true);
    });

    it('finds that completing "multithread" lowers the loss rate: the interval is below 0 and holds the true effect', async () => {
      const r = await report();
      // The figures, kept as a test artifact (docs/actions.md quotes a run of them).
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, `action-outcomes-${crm}.json`), JSON.stringify(r, null, 1));
      const mt = outcome(r, 'multithread');
      if (!mt.lossRate.shown) throw new Error(`multithread withheld: ${summary(r)}`);
      expect(mt.lossRate.difference.high, summary(r)).toBeLessThan(0);
      // The truth for the deals acted on: their loss rate without acting, halved.
      const truth = -EFFECT.lossToWin * mt.lossRate.notActed.estimate;
      expect(mt.lossRate.difference.low, summary(r)).toBeLessThan(truth);
      expect(mt.lossRate.difference.high, summary(r)).toBeGreaterThan(truth);
    });

    it(`finds no effect of "${o.noEffect}", which has none: the interval holds 0`, async () => {
      const r = await report();
      const none = outcome(r, o.noEffect);
      if (!none.lossRate.shown) throw new Error(`${o.noEffect} withheld: ${summary(r)}`);
      expect(none.lossRate.difference.low, summary(r)).toBeLessThan(0);
      expect(none.lossRate.difference.high, summary(r)).toBeGreaterThan(0);
    });
  });
}
