// Risk categories: fixed score bounds (25/50/75) against bounds relative to the tenant's base
// rate (0.5x / 1.5x / 3x the odds of loss), on held-out deals of IBM, SkyGeni and the sandbox
// CRM's generated org (read through the real Salesforce connector). Each deal gets its category
// from the product's scorer (compileScorer → bounds), exactly as a live score would.
// Run: npm run bench -- categories   (or: node --import tsx bench/categories.bench.ts)
import { createSalesforceConnector } from '../connectors/salesforce/index.ts';
import type { CredentialStore, Credentials } from '../connectors/types.ts';
import { startSandbox } from '../sandbox/index.ts';
import { backtest } from '../src/core/backtest/backtest.ts';
import type { Deal } from '../src/core/deal.ts';
import { categoryOf, type RiskCategory, type ScoreBounds } from '../src/core/scoring/categories.ts';
import type { ScoringConfig } from '../src/core/scoring/config.ts';
import { buildRows } from '../src/core/scoring/rows.ts';
import { compileScorer } from '../src/core/scoring/scorer.ts';
import { defaultMapping } from '../src/mapping/load.ts';
import { compileMapping } from '../src/mapping/to-deal.ts';
import { loadScoringConfig } from '../src/scoring/config.ts';
import { ibmIdOrderedSplit, ibmSplit, type Split, skygeniSplit } from './datasets.ts';

const shipped = loadScoringConfig();
const asOf = new Date('2024-03-01T00:00:00Z');
const CATS: RiskCategory[] = ['Low', 'Medium', 'High', 'Critical'];
const SANDBOX_DEALS = Number(process.env.BENCH_CATEGORIES_SANDBOX_DEALS ?? 20_000);

/** The sandbox org's closed opportunities, as the Salesforce connector and default mapping read them. */
async function sandboxSplit(): Promise<Split & { note: string }> {
  const sb = await startSandbox({ deals: SANDBOX_DEALS, seed: 42, salesforce: { dailyApiLimit: 5_000_000 }, taskCompletionDays: null });
  try {
    const t = sb.salesforce.issueTokens();
    let creds: Credentials = {
      accessToken: t.access_token,
      refreshToken: t.refresh_token ?? null,
      instanceUrl: t.instance_url,
      authBaseUrl: sb.salesforce.loginUrl,
      accountId: sb.salesforce.orgId,
    };
    const credentials: CredentialStore = {
      load: async () => ({ ...creds }),
      save: async (c) => {
        creds = { ...c };
      },
      markNeedsReauth: async () => undefined,
    };
    const mapping = defaultMapping('salesforce');
    const sf = await createSalesforceConnector({
      tenantId: 'bench',
      mapping,
      credentials,
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      loginUrl: sb.salesforce.loginUrl,
      bulkThreshold: -1,
    });
    const toDeal = compileMapping(mapping);
    const deals: Deal[] = [];
    for await (const page of sf.fetchChanges({ cursor: null })) {
      for (const r of page.records) {
        const m = toDeal(r, { tenantId: 'bench' });
        if (m.ok && m.deal.stage.status !== 'open') deals.push(m.deal);
      }
    }
    // Time split: the latest 20% by close date are the test deals.
    const sorted = [...deals].sort((a, b) => (a.closedAt?.getTime() ?? 0) - (b.closedAt?.getTime() ?? 0));
    const cut = Math.floor(sorted.length * 0.8);
    return { train: sorted.slice(0, cut), test: sorted.slice(cut), note: `${SANDBOX_DEALS.toLocaleString('en-US')}-deal org, seed 42` };
  } finally {
    await sb.close();
  }
}

interface Triage {
  bounds: ScoreBounds;
  share: number[];
  lossRate: number[];
  /** ROC-AUC of the category as a 4-level score (ties count half). */
  categoryAuc: number;
  flagged: number;
  lossFlagged: number;
  lossLow: number;
}

function triage(cats: RiskCategory[], y: number[], bounds: ScoreBounds): Triage {
  const n = [0, 0, 0, 0];
  const lost = [0, 0, 0, 0];
  cats.forEach((c, i) => {
    const k = CATS.indexOf(c);
    n[k]!++;
    lost[k]! += y[i]!;
  });
  const won = n.map((v, k) => v - lost[k]!);
  const L = lost.reduce((a, b) => a + b, 0);
  const W = won.reduce((a, b) => a + b, 0);
  let pairs = 0;
  let wonBelow = 0;
  for (let k = 0; k < 4; k++) {
    pairs += lost[k]! * (wonBelow + 0.5 * won[k]!);
    wonBelow += won[k]!;
  }
  const total = y.length;
  const rate = (ks: number[]): number => {
    const m = ks.reduce((a, k) => a + n[k]!, 0);
    return m ? ks.reduce((a, k) => a + lost[k]!, 0) / m : Number.NaN;
  };
  return {
    bounds,
    share: n.map((v) => v / total),
    lossRate: n.map((v, k) => (v ? lost[k]! / v : Number.NaN)),
    categoryAuc: L && W ? pairs / (L * W) : 0.5,
    flagged: (n[2]! + n[3]!) / total,
    lossFlagged: rate([2, 3]),
    lossLow: rate([0]),
  };
}

const pct = (x: number): string => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '—');
const row = (dataset: string, scheme: string, t: Triage): string =>
  `| ${dataset} | ${scheme} | ${t.bounds.low}/${t.bounds.medium}/${t.bounds.high} | ${t.share.map(pct).join(' / ')} | ${t.lossRate.map(pct).join(' / ')} | **${t.categoryAuc.toFixed(3)}** | ${pct(t.flagged)} | ${pct(t.lossFlagged)} vs ${pct(t.lossLow)} |`;

const datasets: Array<[string, () => Promise<Split>]> = [
  ['IBM strict / id%5', ibmSplit],
  ['IBM strict / id-ordered', ibmIdOrderedSplit],
  ['SkyGeni / time', skygeniSplit],
  ['Sandbox Salesforce / time', sandboxSplit],
];

console.log('### Risk categories on held-out deals: fixed vs relative thresholds\n');
console.log(
  "Shares and loss rates are Low / Medium / High / Critical. Category AUC: how often a lost deal sits in a higher category than a won one (ties half); the model's own AUC is the ceiling. Flagged: High + Critical.\n",
);
console.log('| dataset | thresholds | score bounds | share of deals | loss rate | category AUC | flagged | loss rate flagged vs Low |');
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, load] of datasets) {
  const split = await load();
  const { report, model, predictions } = backtest(
    { deals: split.train },
    { config: shipped, tenantId: 'bench', trainedAt: asOf, test: split.test },
  );
  const y = predictions.map((p) => (p.actual === 'lost' ? 1 : 0));
  const label = `${name} (${report.nTrain.toLocaleString('en-US')} train, ${report.nTest.toLocaleString('en-US')} test; base rate ${pct(report.trainLossRate)}, AUC ${report.auc.toFixed(3)}, ${report.status})`;
  const schemes: Array<[string, ScoringConfig['thresholds']]> = [
    ['fixed 25/50/75', { ...shipped.thresholds, mode: 'fixed', low: 25, medium: 50, high: 75 }],
    ['relative 0.5×/1.5×/3× (default)', { ...shipped.thresholds, mode: 'relative', relative: { low: 0.5, medium: 1.5, high: 3 } }],
  ];
  for (const [scheme, thresholds] of schemes) {
    const scorer = compileScorer(model, { config: { ...shipped, thresholds } });
    // The backtest's own scores, categorised by the product's bounds for this model and setting.
    const cats = predictions.map((p) => categoryOf(p.riskScore, scorer.bounds));
    console.log(row(label, scheme, triage(cats, y, scorer.bounds)));
  }
  // Reference, not offered: bounds at the quartiles of the model's scores on its training deals.
  const scorer = compileScorer(model, { config: shipped });
  const rows = buildRows(split.train, [], shipped.momentsPerDeal);
  const scores = rows.views.map((v) => Math.round(100 * scorer.lossProbabilityAt(v))).sort((a, b) => a - b);
  const q = (f: number): number => scores[Math.min(scores.length - 1, Math.floor(f * scores.length))]!;
  const quartiles = { low: q(0.25), medium: q(0.5), high: q(0.75) };
  console.log(
    row(
      label,
      'quartiles of training scores (reference)',
      triage(
        predictions.map((p) => categoryOf(p.riskScore, quartiles)),
        y,
        quartiles,
      ),
    ),
  );
}
