// Scoring engine: IBM leak-free id%5 and SkyGeni time-split backtests, training time, scoring
// throughput with drivers + actions, and ml-logistic-regression's trainer against ours.
// Run: npm run bench -- scoring   (or: node --import tsx bench/scoring.bench.ts)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import LogisticRegression from 'ml-logistic-regression';
import { Matrix } from 'ml-matrix';
import { compilePlaybook } from '../src/core/actions/evaluate.ts';
import { backtest } from '../src/core/backtest/backtest.ts';
import { auc } from '../src/core/backtest/metrics.ts';
import type { Deal } from '../src/core/deal.ts';
import { fitLogistic } from '../src/core/scoring/logistic.ts';
import { serializeModel } from '../src/core/scoring/model.ts';
import { compileScorer } from '../src/core/scoring/scorer.ts';
import { buildSimilarIndex } from '../src/core/scoring/similar.ts';
import { trainModel } from '../src/core/scoring/train.ts';
import { loadPlaybook, loadScoringConfig } from '../src/scoring/config.ts';
import { DATASETS, ibmIdOrderedSplit, ibmSplit, skygeniSplit } from './datasets.ts';

const cfg = loadScoringConfig();
const playbook = compilePlaybook(loadPlaybook(), cfg.maxActions);
const asOf = new Date('2024-03-01T00:00:00Z');
const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);
const mb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

const ibm = await ibmSplit();
const sky = await skygeniSplit();
const ibmOrdered = await ibmIdOrderedSplit();

// 1. Quality on the two shared datasets (explicit test sets, as BASELINES.md).
console.log('### Backtests (explicit test sets as in shared/datasets/BASELINES.md)\n');
console.log(
  '| dataset / split | n train | n test | ROC-AUC [95% CI] | PR-AUC loss | PR-AUC win | log-loss (prior) | Brier (prior) | lift top 20% | status |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
let ibmReport: { auc: number; logLoss: number } | null = null;
for (const [name, s] of [
  ['IBM strict / id%5', ibm],
  ['IBM strict / id-ordered (drift)', ibmOrdered],
  ['SkyGeni / time', sky],
] as const) {
  const { report: r } = backtest({ deals: s.train }, { config: cfg, tenantId: 'bench', trainedAt: asOf, test: s.test });
  if (s === ibm) ibmReport = r;
  console.log(
    `| ${name} | ${r.nTrain} | ${r.nTest} | ${f3(r.auc)} [${f3(r.aucLow)}, ${f3(r.aucHigh)}] | ${f3(r.prAuc)} | ${f3(r.prAucWin)} | ${f4(r.logLoss)} (${f4(r.priorLogLoss)}) | ${f4(r.brier)} (${f4(r.priorBrier)}) | ${r.liftTop20.toFixed(2)} | ${r.status} |`,
  );
}

// 2. Training time on the IBM train split (62,487 deals), median of 3.
/** Wall and CPU seconds of `fn` (CPU = this process's user + system time: immune to other load). */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}
const runs = [0, 1, 2].map(() => timed(() => trainModel({ deals: ibm.train }, { config: cfg, tenantId: 'bench', trainedAt: asOf })));
const model = runs[0]!.value;
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1]!;
const json = JSON.stringify(serializeModel(model));
console.log(`\n### Training\n`);
console.log(
  `IBM train split, ${ibm.train.length} deals, ${model.columns.length} columns (${model.features.length} features + their crosses), ${model.training.iterations} Newton iterations, calibration fit included: ` +
    `**${med(runs.map((r) => r.wall)).toFixed(2)} s wall, ${med(runs.map((r) => r.cpu)).toFixed(2)} s CPU** (median of 3). Serialized model: ${(json.length / 1024).toFixed(0)} KiB JSON.`,
);

// 2b. scikit-learn on the same split, right after ours: the reference the training goal is a ratio to.
sklearnReference(med(runs.map((r) => r.wall)), med(runs.map((r) => r.cpu)));

/**
 * Runs bench/sklearn-ibm.py (Debian's python3-sklearn) and prints our training time as a ratio to
 * its HistGradientBoosting and LogisticRegression fits. One OpenMP thread: our trainer uses one
 * core, and on a shared machine OpenMP's spinning threads turn a 1 s fit into 45 s wall.
 */
function sklearnReference(oursWall: number, oursCpu: number): void {
  const python = '/usr/bin/python3';
  const script = path.join(import.meta.dirname, 'sklearn-ibm.py');
  const csv = path.join(DATASETS, 'ibm-sales-win-loss/WA_Fn-UseC_-Sales-Win-Loss.csv');
  const probe = existsSync(python) ? spawnSync(python, ['-c', 'import sklearn, pandas'], { encoding: 'utf8' }) : null;
  console.log(`\n### Training against scikit-learn, same split, same run\n`);
  if (probe?.status !== 0) {
    console.log(
      `Skipped: ${python} with scikit-learn and pandas is not installed (Debian: apt-get install python3-sklearn python3-pandas).`,
    );
    return;
  }
  const r = spawnSync(python, [script, csv, '3'], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    console.log(`Skipped: ${script} failed: ${r.stderr.trim().split('\n').at(-1)}`);
    return;
  }
  type Fit = { wall: number; cpu: number; auc: number; logLoss: number };
  const sk = JSON.parse(r.stdout) as { sklearn: string; nTrain: number; hgb: Fit; logreg: Fit };
  const x = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;
  console.log(
    `scikit-learn ${sk.sklearn}, ${sk.nTrain} train deals, the "ibm strict" setup of BASELINES.md, fit = preprocessing + fit, median of 3, one thread (OMP_NUM_THREADS=1).\n`,
  );
  console.log('| trainer | wall s | CPU s | test ROC-AUC | log-loss | ours ÷ it, wall | ours ÷ it, CPU |');
  console.log('|---|---|---|---|---|---|---|');
  const auc = ibmReport ? f3(ibmReport.auc) : 'n/a';
  const ll = ibmReport ? f4(ibmReport.logLoss) : 'n/a';
  console.log(
    `| ours (trainModel, calibration included) | ${oursWall.toFixed(2)} | ${oursCpu.toFixed(2)} | ${auc} | ${ll} | 1.00× | 1.00× |`,
  );
  for (const [label, f] of [
    ['HistGradientBoostingClassifier', sk.hgb],
    ['LogisticRegression (lbfgs)', sk.logreg],
  ] as const) {
    console.log(
      `| ${label} | ${f.wall.toFixed(2)} | ${f.cpu.toFixed(2)} | ${f3(f.auc)} | ${f4(f.logLoss)} | **${x(oursWall, f.wall)}** | ${x(oursCpu, f.cpu)} |`,
    );
  }
  console.log(`\nGoal: ours ≤ 1.5× HistGradientBoosting's fit with the same AUC.`);
}

// 3. Scoring throughput: drivers + sentences + playbook actions (+ similar won deals).
function throughput(deals: Deal[], label: string, withSimilar: boolean, m = model): string {
  const scorer = compileScorer(m, {
    config: cfg,
    actions: playbook,
    ...(withSimilar ? { similar: buildSimilarIndex(ibm.train.concat(sky.train), cfg.segmentBy) } : {}),
  });
  const batch: Deal[] = [];
  while (batch.length < 200_000) batch.push(...deals);
  scorer.scoreMany(batch.slice(0, 20_000), asOf); // warm-up
  // Best of 3: the figure is what one core sustains, not what a busy machine leaves over.
  let withActions = 0;
  let best = { wall: Number.POSITIVE_INFINITY, cpu: Number.POSITIVE_INFINITY };
  for (let r = 0; r < 3; r++) {
    const t = timed(() => scorer.scoreMany(batch, asOf));
    withActions = t.value.filter((o) => o.actions.length > 0).length / t.value.length;
    if (t.cpu < best.cpu) best = { wall: t.wall, cpu: t.cpu };
  }
  const rate = (x: number): string => Math.round(batch.length / x).toLocaleString('en-US');
  return `| ${label} | ${batch.length} | ${best.wall.toFixed(3)} / ${best.cpu.toFixed(3)} | **${rate(best.cpu)}** (wall ${rate(best.wall)}) | ${Math.round(withActions * 100)}% |`;
}
const skyModel = trainModel({ deals: sky.train }, { config: cfg, tenantId: 'bench', trainedAt: asOf });
console.log(`\n### Scoring throughput (one core, 3 drivers with sentences + playbook actions per deal)\n`);
console.log('| deals | scored | seconds wall / CPU | deals per CPU second | with ≥1 action |');
console.log('|---|---|---|---|---|');
console.log(throughput(ibm.test, 'IBM test deals (IBM model)', false));
console.log(throughput(ibm.test, 'IBM test deals + 3 similar won deals', true));
console.log(throughput(sky.test, 'SkyGeni deals (dated: age drivers)', false, skyModel));
{
  // Memory a batch of results holds: 100,000 scores (drivers and actions unformatted until read).
  const scorer = compileScorer(model, { config: cfg, actions: playbook });
  const batch: Deal[] = [];
  while (batch.length < 100_000) batch.push(...ibm.test);
  batch.length = 100_000;
  // A real full GC before and after (the runner does not pass --expose-gc).
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const out = scorer.scoreMany(batch, asOf);
  gc();
  const perDeal = (process.memoryUsage().heapUsed - before) / out.length;
  console.log(
    `\nHeap held by 100,000 results (drivers and actions included, text not yet formatted): ${Math.round((perDeal * out.length) / 2 ** 20)} MB, ${Math.round(perDeal)} bytes per scored deal. Peak RSS of this whole benchmark process (both datasets loaded, 200,000-deal batches): ${mb()} MB.`,
  );
}

// 4. ml-logistic-regression (the design card's package) vs our Newton/IRLS on the same one-hot design.
function oneHot(deals: Deal[], vocab?: Map<string, number>): { X: Float64Array; p: number; vocab: Map<string, number> } {
  const keys = (d: Deal): string[] => [
    `p:${d.product}`,
    `r:${d.account.region}`,
    `s:${d.account.size}`,
    `l:${d.leadSource}`,
    ...Object.entries(d.extras).map(([k, v]) => `${k}:${v}`),
  ];
  const v = vocab ?? new Map<string, number>();
  if (!vocab) for (const d of deals) for (const k of keys(d)) if (!v.has(k)) v.set(k, v.size);
  const p = v.size + 1;
  const X = new Float64Array(deals.length * p);
  deals.forEach((d, i) => {
    for (const k of keys(d)) {
      const j = v.get(k);
      if (j !== undefined) X[i * p + j] = 1;
    }
    X[i * p + p - 1] = (Math.log1p(d.amount ?? 0) - 10) / 2;
  });
  return { X, p, vocab: v };
}
const tr = oneHot(ibm.train);
const te = oneHot(ibm.test, tr.vocab);
const yTr = Uint8Array.from(ibm.train, (d) => (d.stage.status === 'lost' ? 1 : 0));
const yTe = ibm.test.map((d) => (d.stage.status === 'lost' ? 1 : 0));
const t0 = performance.now();
const ours = fitLogistic({ X: tr.X, n: ibm.train.length, p: tr.p, y: yTr, w: new Float64Array(ibm.train.length).fill(1), l2: 1 });
const oursS = (performance.now() - t0) / 1000;
const zTe = yTe.map((_, i) => {
  let z = ours.intercept;
  for (let j = 0; j < te.p; j++) z += te.X[i * te.p + j]! * ours.weights[j]!;
  return z;
});
// The library wants an explicit bias column and trains one classifier per class (two here).
const withBias = (X: Float64Array, n: number, p: number): Matrix => {
  const M = new Matrix(n, p + 1);
  for (let i = 0; i < n; i++) {
    M.set(i, 0, 1);
    for (let j = 0; j < p; j++) M.set(i, j + 1, X[i * p + j]!);
  }
  return M;
};
const Xl = withBias(tr.X, ibm.train.length, tr.p);
const Xt = withBias(te.X, ibm.test.length, te.p);
const steps = 20;
const lib = new LogisticRegression({ numSteps: steps, learningRate: 5e-4 });
const t1 = performance.now();
lib.train(Xl, Matrix.columnVector(Array.from(yTr)));
const libS = (performance.now() - t1) / 1000;
const libScores = lib.classifiers[0].testScores(Xt) as number[]; // P(not class 0) = P(lost)
const perStep = libS / steps;
// Inference through the library's two-class classifier, loaded with our fitted weights.
const loaded = LogisticRegression.load({
  name: 'LogisticRegression',
  numberClasses: 2,
  numSteps: 0,
  learningRate: 0,
  classifiers: [{ weights: [[ours.intercept, ...ours.weights]] }, { weights: [[ours.intercept, ...ours.weights]] }],
});
const t2 = performance.now();
const libInfer = loaded.classifiers[0].testScores(Xt) as number[];
const libInferS = (performance.now() - t2) / 1000;
let maxDiff = 0;
for (const [i, p] of libInfer.entries()) maxDiff = Math.max(maxDiff, Math.abs(p - 1 / (1 + Math.exp(-zTe[i]!))));
console.log(`\n### ml-logistic-regression 2.0.0 vs our solver (IBM train split, one-hot design, ${ibm.train.length} × ${tr.p + 1})\n`);
console.log('| trainer | time | test ROC-AUC |');
console.log('|---|---|---|');
console.log(`| ours: Newton/IRLS + L2 (converged in ${ours.iterations} iterations) | ${oursS.toFixed(2)} s | ${f3(auc(zTe, yTe))} |`);
console.log(
  `| ml-logistic-regression, ${steps} gradient steps (2 one-vs-all classifiers) | ${libS.toFixed(2)} s (${(perStep * 1000).toFixed(0)} ms/step) | ${f3(auc(libScores, yTe))} |`,
);
console.log(`| ml-logistic-regression, default 50,000 steps (extrapolated) | ≈ ${((perStep * 50_000) / 3600).toFixed(1)} h | not run |`);
console.log(
  `\nInference through its two-class classifier loaded with our weights: ${ibm.test.length} deals in ${(libInferS * 1000).toFixed(0)} ms (${Math.round(ibm.test.length / libInferS).toLocaleString('en-US')} deals/s, probabilities only), max |Δp| vs ours ${maxDiff.toExponential(1)}.`,
);
