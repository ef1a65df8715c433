import type { Deal } from '../deal.ts';
import { candidateFeatures, categoryReader, type DealView, readNumber } from '../scoring/features.ts';
import { binOf, quantileCuts, sigmoid } from '../scoring/stats.ts';
import { auc, bootstrapAuc, bootstrapAucDifference, brier, logLoss } from './metrics.ts';

/**
 * Simple baselines the model is measured against on its backtest's held-out deals: the CRM's own
 * stage probability, and naive Bayes over the same mapped fields in the way Odoo's predictive lead
 * scoring counts them (docs/scoring.md, "Baselines"). The prior is in the backtest report itself.
 */

/** Additive smoothing of the naive-Bayes counts: 1 is Laplace's (Odoo adds 0.1). */
export const NB_ALPHA = 1;
/** Number features (the amount, numeric extras) are counted in this many quantile bands. */
const NB_BANDS = 5;
/** Odoo keeps its probabilities within 0.01% and 99.99%; so does the baseline. */
const NB_CLAMP = 1e-4;

const STAGE = 'stage';

interface Counts {
  won: number;
  lost: number;
}

interface NbField {
  id: string;
  label: string;
  kind: 'category' | 'number';
  /** Numbers: the band cuts learnt from the training deals. */
  cuts: number[];
  /** Value (a category, or a band index) → deals of each outcome with it. */
  values: Map<string, Counts>;
  /** Deals of each outcome with any value of this field (unset values are not counted). */
  total: Counts;
}

/** A stage, within its pipeline: the same label in two pipelines is two stages. */
const stageKey = (pipeline: string | null, stage: string): string => `${pipeline ?? ''}\u0001${stage}`;

/** The open stages known from training deals' histories, by pipeline, with their order when known. */
export interface StageCatalogue {
  /** Pipeline ('' when none) → stage key → order (null when the CRM gave none). */
  byPipeline: Map<string, Map<string, number | null>>;
}

/** Every open stage a set of deals' histories went through, with the order the CRM gives it. */
export function stageCatalogue(deals: readonly Deal[]): StageCatalogue {
  const byPipeline = new Map<string, Map<string, number | null>>();
  for (const d of deals) {
    const p = d.pipeline ?? '';
    for (const e of d.stageHistory) {
      if (e.status !== 'open') continue;
      const stages = byPipeline.get(p) ?? byPipeline.set(p, new Map()).get(p)!;
      const k = stageKey(d.pipeline, e.stage);
      if (!stages.has(k) || (stages.get(k) === null && e.order !== null)) stages.set(k, e.order);
    }
  }
  return { byPipeline };
}

/**
 * The open stages a closed deal counts as having reached, as Odoo's lead scoring counts them: a
 * won deal reached every stage of its pipeline; a lost deal reached the furthest open stage of its
 * history and every stage ordered before it (when the CRM orders its stages; otherwise the stages
 * its history went through). A lost deal without an open stage in its history reached the first.
 */
export function stagesReached(deal: Deal, catalogue: StageCatalogue): string[] {
  const stages = catalogue.byPipeline.get(deal.pipeline ?? '');
  if (!stages || stages.size === 0 || deal.stage.status === 'open') return [];
  if (deal.stage.status === 'won') return [...stages.keys()];
  const visited = deal.stageHistory.filter((e) => e.status === 'open').map((e) => stageKey(deal.pipeline, e.stage));
  const orders = [...stages.values()];
  const ordered = orders.every((o) => o !== null);
  if (!ordered) return [...new Set(visited)].filter((k) => stages.has(k));
  const first = Math.min(...(orders as number[]));
  const furthest = visited.reduce((m, k) => Math.max(m, stages.get(k) ?? m), first);
  return [...stages].filter(([, o]) => (o as number) <= furthest).map(([k]) => k);
}

/** A naive-Bayes baseline fitted on closed deals (one row per deal, as Odoo counts leads). */
export interface NaiveBayes {
  alpha: number;
  won: number;
  lost: number;
  fields: NbField[];
  stages: StageCatalogue;
  /** Stage key → deals of each outcome that reached it. */
  reached: Map<string, Counts>;
  /** Pipeline → its won and lost deals (the denominators of "reached"). */
  pipelineTotals: Map<string, Counts>;
}

const str = (v: unknown): string | null => {
  if (v === null || v === undefined) return null;
  const s = String(v).trim();
  return s === '' ? null : s;
};

/**
 * Counts, for each mapped field known when a deal is created, how many won and how many lost
 * deals had each value (numbers by quantile band), and for each open stage how many won and lost
 * deals reached it. Process fields (activity, pushes, days to close) are left out: a closed deal's
 * final values tell its outcome, and Odoo's method counts each closed lead once as it ended.
 */
export function trainNaiveBayes(
  closedDeals: readonly Deal[],
  o: { labels?: Readonly<Record<string, string>>; alpha?: number } = {},
): NaiveBayes {
  const closed = closedDeals.filter((d) => d.stage.status !== 'open');
  const alpha = o.alpha ?? NB_ALPHA;
  const defs = candidateFeatures(closed, o.labels).filter((f) => f.timing === 'static');
  const asView = (d: Deal): DealView => ({ deal: d, asOf: null, full: false });
  const noCycle = (): number | null => null;
  const fields: NbField[] = defs.map((f) => {
    const cuts =
      f.kind === 'number'
        ? quantileCuts(
            closed.map((d) => readNumber(f.id, asView(d), noCycle) ?? Number.NaN),
            NB_BANDS,
          )
        : [];
    return { id: f.id, label: f.label, kind: f.kind, cuts, values: new Map(), total: { won: 0, lost: 0 } };
  });
  const readers = fields.map((f) => valueReader(f));
  const stages = stageCatalogue(closed);
  const reached = new Map<string, Counts>();
  const pipelineTotals = new Map<string, Counts>();
  let won = 0;
  let lost = 0;
  const bump = (c: Counts, isWon: boolean): void => {
    if (isWon) c.won++;
    else c.lost++;
  };
  for (const d of closed) {
    const isWon = d.stage.status === 'won';
    if (isWon) won++;
    else lost++;
    const view = asView(d);
    fields.forEach((f, i) => {
      const v = readers[i]!(view);
      if (v === null) return;
      bump(f.values.get(v) ?? f.values.set(v, { won: 0, lost: 0 }).get(v)!, isWon);
      bump(f.total, isWon);
    });
    const p = d.pipeline ?? '';
    bump(pipelineTotals.get(p) ?? pipelineTotals.set(p, { won: 0, lost: 0 }).get(p)!, isWon);
    for (const k of stagesReached(d, stages)) bump(reached.get(k) ?? reached.set(k, { won: 0, lost: 0 }).get(k)!, isWon);
  }
  return { alpha, won, lost, fields, stages, reached, pipelineTotals };
}

function valueReader(f: Pick<NbField, 'id' | 'kind' | 'cuts'>): (v: DealView) => string | null {
  if (f.kind === 'category') return categoryReader(f.id);
  return (v) => {
    const x = readNumber(f.id, v, () => null);
    return x === null ? null : String(binOf(x, f.cuts));
  };
}

/** A deal's naive-Bayes loss log-odds as a sum: the prior's, plus one term per field it has. */
export interface NbExplanation {
  priorLogit: number;
  logit: number;
  lossProbability: number;
  /** Each field's log-likelihood ratio log P(value | lost) − log P(value | won). */
  contributions: Array<{ feature: string; label: string; contribution: number }>;
}

/**
 * Scores a deal as it was at a moment: prior log-odds of loss plus, for each field with a value
 * seen in training, log P(value | lost) / P(value | won), smoothed with `alpha`; the stage term is
 * the smoothed share of lost and of won deals of the pipeline that reached the deal's stage.
 * Unset and never-seen values add nothing (as in Odoo).
 */
export function explainNaiveBayes(nb: NaiveBayes, view: DealView): NbExplanation {
  const a = nb.alpha;
  const priorLogit = Math.log((nb.lost + a) / (nb.won + a));
  const contributions: NbExplanation['contributions'] = [];
  for (const f of nb.fields) {
    const v = valueReader(f)(view);
    const c = v === null ? undefined : f.values.get(v);
    if (!c) continue;
    const k = f.values.size;
    const pLost = (c.lost + a) / (f.total.lost + a * k);
    const pWon = (c.won + a) / (f.total.won + a * k);
    contributions.push({ feature: f.id, label: f.label, contribution: Math.log(pLost / pWon) });
  }
  const stage = categoryReader(STAGE)(view);
  const c = stage === null ? undefined : nb.reached.get(stageKey(view.deal.pipeline, stage));
  const t = nb.pipelineTotals.get(view.deal.pipeline ?? '');
  if (c && t) {
    const pLost = (c.lost + a) / (t.lost + 2 * a);
    const pWon = (c.won + a) / (t.won + 2 * a);
    contributions.push({ feature: STAGE, label: 'Stage', contribution: Math.log(pLost / pWon) });
  }
  const logit = contributions.reduce((s, x) => s + x.contribution, priorLogit);
  const lossProbability = Math.min(1 - NB_CLAMP, Math.max(NB_CLAMP, sigmoid(logit)));
  return { priorLogit, logit, lossProbability, contributions };
}

/** The probability the CRM gives deals in one open stage (its most common value), and over how many. */
export interface StageProbability {
  pipeline: string | null;
  stage: string;
  probability: number;
  deals: number;
}

/**
 * Each open stage's usual CRM probability: the most common value among open deals in it (a CRM
 * sets it from the stage; Salesforce lets a rep override it on a deal). Feed it any number of
 * open deals, page by page, with `add`.
 */
export function stageProbabilityTable(): {
  add(d: Deal): void;
  addEntry(e: StageProbability): void;
  entries(): StageProbability[];
} {
  const counts = new Map<string, { pipeline: string | null; stage: string; values: Map<number, number> }>();
  const count = (pipeline: string | null, stage: string, value: number, n: number): void => {
    const k = stageKey(pipeline, stage);
    const c = counts.get(k) ?? counts.set(k, { pipeline, stage, values: new Map() }).get(k)!;
    c.values.set(value, (c.values.get(value) ?? 0) + n);
  };
  return {
    add(d) {
      if (d.stage.status !== 'open' || d.crmProbability === null) return;
      const stage = str(d.stage.label ?? d.stage.order);
      if (stage !== null) count(d.pipeline, stage, d.crmProbability, 1);
    },
    addEntry(e) {
      count(e.pipeline, e.stage, e.probability, e.deals);
    },
    entries() {
      return [...counts.values()].map((c) => {
        let best = Number.NaN;
        let n = 0;
        let deals = 0;
        for (const [v, k] of c.values) {
          deals += k;
          if (k > n || (k === n && v < best)) [best, n] = [v, k];
        }
        return { pipeline: c.pipeline, stage: c.stage, probability: best, deals };
      });
    },
  };
}

/**
 * The CRM's own probability of a deal at a moment: the deal's value when the view was taken while
 * it was open (an open deal, a snapshot); otherwise the usual probability of the stage it was in
 * then (`stages`, from open deals). Null when unknown, and null for every deal when no deal
 * carries a CRM probability (the field is not mapped).
 */
export function crmProbabilityReader(
  known: readonly Deal[],
  stages: readonly StageProbability[] = [],
): ((v: DealView) => number | null) | null {
  const table = stageProbabilityTable();
  for (const d of known) table.add(d);
  for (const e of stages) table.addEntry(e);
  const entries = table.entries();
  if (entries.length === 0 && !known.some((d) => d.stage.status === 'open' && d.crmProbability !== null)) return null;
  const usual = new Map(entries.map((e) => [stageKey(e.pipeline, e.stage), e.probability]));
  const stageOf = categoryReader(STAGE);
  return (v) => {
    if (v.full && v.deal.stage.status === 'open' && v.deal.crmProbability !== null) return v.deal.crmProbability;
    const s = stageOf(v);
    return s === null ? null : (usual.get(stageKey(v.deal.pipeline, s)) ?? null);
  };
}

export type BaselineId = 'crm_probability' | 'naive_bayes';

/** One baseline's figures on the backtest's held-out deals, beside the model's. */
export interface BaselineReport {
  id: BaselineId;
  /** How a sentence names it: "the CRM's stage probability". */
  label: string;
  /** Held-out deals the baseline had a value for; the others count at the base rate. */
  covered: number;
  auc: number;
  aucLow: number;
  aucHigh: number;
  logLoss: number;
  brier: number;
  /** The model's AUC minus the baseline's, with a paired bootstrap 95% interval. */
  aucDifference: { value: number; low: number; high: number };
  /**
   * `baseline_better`: the baseline's AUC is higher and the difference's interval lies below 0;
   * `model_better`: the interval lies above 0; otherwise `no_difference` (within the noise).
   */
  verdict: 'model_better' | 'baseline_better' | 'no_difference';
  /** "The model ranks deals better than the CRM's stage probability: AUC 0.71 vs 0.62." */
  sentence: string;
}

export const BASELINE_LABELS: Record<BaselineId, string> = {
  crm_probability: "the CRM's stage probability",
  naive_bayes: 'naive Bayes over the same fields',
};

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const two = (x: number): string => x.toFixed(2);
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;

/** The plain sentence for a baseline's verdict. */
export function baselineSentence(
  r: Pick<BaselineReport, 'id' | 'label' | 'auc' | 'aucDifference' | 'verdict' | 'covered'>,
  modelAuc: number,
  nTest: number,
): string {
  const d = r.aucDifference;
  const vs = `AUC ${two(modelAuc)} vs ${two(r.auc)}`;
  let s: string;
  if (r.verdict === 'model_better') s = `The model ranks deals better than ${r.label}: ${vs}.`;
  else if (r.verdict === 'baseline_better')
    s = `${capital(r.label)} ranks deals better than the model: AUC ${two(r.auc)} vs ${two(modelAuc)}.`;
  else {
    s = `The model and ${r.label} rank deals about as well: ${vs}, a difference (${signed(d.value)}) within the noise (95% interval ${signed(d.low)} to ${signed(d.high)}).`;
  }
  if (r.covered < nTest) {
    s += ` ${capital(r.label)} was known for ${r.covered} of the ${nTest} held-out deals; the others count at the base rate.`;
  }
  return s;
}

/**
 * The baselines measured on exactly the held-out views the model was scored on: the CRM's stage
 * probability (when mapped) and naive Bayes fitted on the same training deals. `modelP` is the
 * model's loss probability per view, `y` 1 for lost.
 */
export function evaluateBaselines(a: {
  train: readonly Deal[];
  /** Every deal and snapshot the backtest knows (open ones give the CRM's stage probabilities). */
  known: readonly Deal[];
  /** Each open stage's usual CRM probability, from the tenant's open deals. */
  stageProbabilities?: readonly StageProbability[];
  views: readonly DealView[];
  y: number[];
  modelP: number[];
  baseRate: number;
  labels?: Readonly<Record<string, string>>;
  bootstrap: number;
  seed: number;
}): BaselineReport[] {
  const out: BaselineReport[] = [];
  const modelAuc = auc(a.modelP, a.y);
  const add = (id: BaselineId, values: Array<number | null>): void => {
    const covered = values.filter((v) => v !== null).length;
    const q = values.map((v) => v ?? a.baseRate);
    const ci = bootstrapAuc(q, a.y, a.bootstrap, a.seed);
    const dci = bootstrapAucDifference(a.modelP, q, a.y, a.bootstrap, a.seed);
    const b = auc(q, a.y);
    const diff = { value: modelAuc - b, low: dci.low, high: dci.high };
    const verdict: BaselineReport['verdict'] =
      b > modelAuc && diff.high < 0 ? 'baseline_better' : diff.low > 0 ? 'model_better' : 'no_difference';
    const r = { id, label: BASELINE_LABELS[id], covered, auc: b, aucLow: ci.low, aucHigh: ci.high, aucDifference: diff, verdict };
    out.push({ ...r, logLoss: logLoss(q, a.y), brier: brier(q, a.y), sentence: baselineSentence(r, modelAuc, a.y.length) });
  };
  const crm = crmProbabilityReader(a.known, a.stageProbabilities);
  if (crm) {
    add(
      'crm_probability',
      a.views.map((v) => {
        const w = crm(v);
        return w === null ? null : 1 - w;
      }),
    );
  }
  const nb = trainNaiveBayes(a.train, { labels: a.labels });
  add(
    'naive_bayes',
    a.views.map((v) => explainNaiveBayes(nb, v).lossProbability),
  );
  return out;
}
