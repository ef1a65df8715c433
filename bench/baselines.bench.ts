// Baselines beside the model (issue 15): on the shared datasets' explicit test sets, the model's
// ROC-AUC next to naive Bayes over the same mapped fields (and the CRM's stage probability where a
// dataset maps one), with the paired bootstrap interval of the difference the verdict rests on.
// Run: npm run bench -- baselines   (or: node --import tsx bench/baselines.bench.ts)

import { backtest } from '../src/core/backtest/backtest.ts';
import { evaluateBaselines } from '../src/core/backtest/baselines.ts';
import { loadScoringConfig } from '../src/scoring/config.ts';
import { ibmIdOrderedSplit, ibmSplit, skygeniSplit } from './datasets.ts';

const cfg = loadScoringConfig();
const asOf = new Date('2024-03-01T00:00:00Z');
const f3 = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` : 'n/a');

console.log('### Baselines (explicit test sets as in shared/datasets/BASELINES.md; same held-out deals, same moments)\n');
console.log(
  '| dataset / split | n test | model ROC-AUC [95% CI] | baseline | baseline ROC-AUC [95% CI] | model − baseline [paired 95% CI] | log-loss model / baseline / prior | Brier model / baseline | verdict |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
const sentences: string[] = [];
/** CPU seconds of `fn` (this process's user + system time: immune to other load). */
function cpu<T>(fn: () => T): { value: T; s: number } {
  const c0 = process.cpuUsage();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, s: (c.user + c.system) / 1e6 };
}
let cost = '';
for (const [name, split] of [
  ['IBM strict / id%5', ibmSplit],
  ['IBM strict / id-ordered (drift)', ibmIdOrderedSplit],
  ['SkyGeni / time', skygeniSplit],
] as const) {
  const s = await split();
  const whole = cpu(() => backtest({ deals: s.train }, { config: cfg, tenantId: 'bench', trainedAt: asOf, test: s.test }));
  const r = whole.value.report;
  if (!cost) {
    // What the baselines add to a backtest: measured again on their own, on the same deals.
    const y = whole.value.predictions.map((p) => (p.actual === 'lost' ? 1 : 0));
    const views = s.test.map((deal) => ({ deal, asOf: null, full: false }));
    const alone = cpu(() =>
      evaluateBaselines({
        train: s.train,
        known: s.train,
        views,
        y,
        modelP: whole.value.predictions.map((p) => p.lossProbability),
        baseRate: r.trainLossRate,
        labels: cfg.labels,
        bootstrap: cfg.backtest.bootstrap,
        seed: cfg.backtest.seed,
      }),
    );
    cost = `\nCost on ${name} (${r.nTrain} train, ${r.nTest} test deals): the baselines take ${alone.s.toFixed(2)} s CPU of the backtest's ${whole.s.toFixed(2)} s CPU (**${((100 * alone.s) / whole.s).toFixed(0)}%**; fit, score and ${cfg.backtest.bootstrap} paired resamples).`;
  }
  for (const b of r.baselines) {
    const d = b.aucDifference;
    console.log(
      `| ${name} | ${r.nTest} | ${f3(r.auc)} [${f3(r.aucLow)}, ${f3(r.aucHigh)}] | ${b.label}${b.covered < r.nTest ? ` (known for ${b.covered})` : ''} | ${f3(b.auc)} [${f3(b.aucLow)}, ${f3(b.aucHigh)}] | ${signed(d.value)} [${signed(d.low)}, ${signed(d.high)}] | ${f4(r.logLoss)} / ${f4(b.logLoss)} / ${f4(r.priorLogLoss)} | ${f4(r.brier)} / ${f4(b.brier)} | ${b.verdict} |`,
    );
    sentences.push(`- ${name}: ${b.sentence}`);
  }
}
console.log(`\n${sentences.join('\n')}`);
console.log(cost);
