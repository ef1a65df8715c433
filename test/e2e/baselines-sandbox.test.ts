import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../sandbox/index.ts';
import { createScoringService } from '../../src/scoring/service.ts';
import { scoringPort } from '../../src/server/adapters/scoring.ts';
import { createApiKey } from '../../src/server/auth/api-key.ts';
import { escapeHtml } from '../../src/server/http/html.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { makeConnector } from '../../src/sync/make-connector.ts';
import { modelHealth } from '../../src/sync/requests.ts';
import { syncTenant } from '../../src/sync/sync-tenant.ts';
import { serviceScorer } from '../../src/worker/service-scorer.ts';
import { api, type Browser } from '../integration/server/client.ts';
import { NOW, type Web } from '../integration/server/harness.ts';
import { connectAsAdmin, startSandboxWeb } from '../integration/server/mapping-support.ts';

type Json = Record<string, any>;

/**
 * The baselines beside the model, end to end on both sandbox CRMs: the real connectors map the
 * CRM's stage probability (Salesforce Probability, HubSpot hs_deal_stage_probability), the first
 * sync trains and backtests, and GET /v1/models/performance and the Model page show the CRM's
 * stage probability and naive Bayes next to the model, each with its sentence.
 */
describe('baselines beside the model, through the sandbox CRMs', () => {
  let sb: Sandbox;
  let w: Web;
  const admin = {} as Record<'salesforce' | 'hubspot', Browser>;
  const tenant = { salesforce: '', hubspot: '' };
  const key = { salesforce: '', hubspot: '' };

  beforeAll(async () => {
    sb = await startSandbox({
      deals: 300,
      seed: 11,
      clockStart: NOW,
      salesforce: { riskFields: 'ready' },
      hubspot: { riskProperties: 'ready' },
      taskCompletionDays: null,
    });
    w = await startSandboxWeb(sb, {
      scoring: (t, now) => scoringPort(createScoringService({ store: t.store }), now, (id) => modelHealth({ store: t.store }, id)),
    });
    const ctx = { ...w.ctx, now: () => sb.clock.now() };
    const config = loadSyncConfig();
    for (const crm of ['salesforce', 'hubspot'] as const) {
      admin[crm] = await connectAsAdmin(w, crm);
      tenant[crm] = (await w.t.store.tenants.list()).map((t) => t.id).find((id) => id.startsWith(crm === 'salesforce' ? 'sf' : 'hs'))!;
      key[crm] = (
        await createApiKey(w.t.store, tenant[crm], { name: 'r', role: 'read', ratePerMinute: 10_000, createdBy: 't' }, NOW)
      ).secret;
      await syncTenant({ ctx, scorer: serviceScorer(ctx), connectorFor: makeConnector, holder: 'e2e' }, tenant[crm], {
        base: config,
        trigger: 'test',
      });
    }
  }, 150_000);
  afterAll(async () => {
    await w?.close();
    await sb?.close();
  });

  for (const crm of ['salesforce', 'hubspot'] as const) {
    it(`${crm}: the API and the Model page show the CRM's stage probability and naive Bayes beside the model`, async () => {
      const r = await api(w.url, 'GET', '/v1/models/performance', key[crm]);
      expect(r.status).toBe(200);
      const b = r.body.backtest as Json;
      expect(b).not.toBeNull();
      const baselines = b.baselines as Json[];
      expect(baselines.map((x) => x.id)).toEqual(['crm_probability', 'naive_bayes']);
      for (const x of baselines) {
        // Measured on the model's own held-out deals: the difference is the model's AUC minus its own.
        expect(x.aucDifference.value).toBeCloseTo(b.auc - x.auc, 9);
        expect(x.auc).toBeGreaterThan(0);
        expect(x.aucLow).toBeLessThanOrEqual(x.auc);
        expect(x.aucHigh).toBeGreaterThanOrEqual(x.auc);
        expect(x.covered).toBeGreaterThan(0);
        expect(x.covered).toBeLessThanOrEqual(b.nTest);
        const m = b.auc.toFixed(2);
        const o = x.auc.toFixed(2);
        const expected = {
          model_better: `The model ranks deals better than ${x.label}: AUC ${m} vs ${o}.`,
          baseline_better: `ranks deals better than the model: AUC ${o} vs ${m}.`,
          no_difference: `rank deals about as well: AUC ${m} vs ${o}`,
        }[x.verdict as string]!;
        expect(x.sentence).toContain(expected);
      }
      // The CRM's stage probability is what the mapping reads: known for most held-out deals.
      expect(baselines[0]!.covered).toBeGreaterThan(b.nTest / 2);

      const page = await (await admin[crm].get('/model')).text();
      expect(page).toContain('<th class="num">CRM stage probability</th>');
      expect(page).toContain('<th class="num">Naive Bayes (same fields)</th>');
      for (const x of baselines) {
        expect(page).toContain(`data-baseline="${x.id}" data-verdict="${x.verdict}">${escapeHtml(x.sentence)}`);
        expect(page).toContain(`<td class="num" data-baseline="${x.id}">${x.auc.toFixed(2)} (`);
      }
    });
  }
});
