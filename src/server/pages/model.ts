import type { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import type { BaselineFiguresView, ModelPerformanceView } from '../api/schemas.ts';
import type { ServerContext } from '../context.ts';
import { dateTime, num, pct } from '../http/format.ts';
import { html, jsonData, raw } from '../http/html.ts';
import { assertAdmin, attempt, pageRoute, redirectWith } from './common.ts';
import { csrfField } from './layout.ts';

/** The model's status in words a sales leader can act on. */
export function statusInWords(m: Pick<ModelPerformanceView, 'status' | 'backtest'>): { text: string; tone: 'ok' | 'warn' | 'bad' } {
  const auc = m.backtest?.auc;
  switch (m.status) {
    case 'ok':
      return {
        text: `Working: on deals it had not seen, the model ranked a lost deal above a won one ${pct(auc ?? null)} of the time, and it beats the base rate.`,
        tone: 'ok',
      };
    case 'experimental':
      return {
        text: `Experimental: the model beats a coin flip but only weakly (ROC-AUC ${num(auc ?? null)}, below 0.60). Use scores as hints, not verdicts.`,
        tone: 'warn',
      };
    case 'no_signal':
      return {
        text: 'No signal: on held-out deals the model did no better than the overall win rate. Scores are shown as experimental and no CRM tasks are created.',
        tone: 'bad',
      };
    case 'low_confidence':
      return { text: 'Low confidence: too few closed deals to fit a model; scores come from segment win rates.', tone: 'warn' };
    case 'prior_only':
      return { text: 'No history yet: with no closed deals, scores use the CRM stage probability or the overall prior.', tone: 'warn' };
    case 'untested':
      return { text: 'Not backtested yet.', tone: 'warn' };
    default:
      return { text: 'No model yet: it is trained on the first sync from your closed won and lost deals.', tone: 'warn' };
  }
}

const TRAINED_BECAUSE: Record<string, string> = {
  no_model: 'first model',
  new_closed: 'enough deals closed since the last training',
  age: 'the model was a day old',
  drift: 'drift',
  manual: 'dealrisk train',
};

/** How the model did on deals that closed since it was trained, as the last sync found. */
function driftSection(d: ModelPerformanceView['drift']) {
  if (!d) return html`<p class="muted" id="model-drift">Drift is checked on every sync once a model is active; none has checked yet.</p>`;
  const which = d.version !== null ? `version ${d.version}` : 'the model';
  if (d.closedDeals === 0)
    return html`<p class="muted" id="model-drift" data-drifted="false">No deal scored by ${which} has closed since it was trained${d.checkedAt ? ` (checked ${dateTime(d.checkedAt)})` : ''}.</p>`;
  return html`<div class="card status-${d.drifted ? 'warn' : 'ok'}" id="model-drift" data-drifted="${String(d.drifted)}">
<p>${d.closedDeals} deals scored by ${which} have closed since it was trained${d.checkedAt ? ` (checked ${dateTime(d.checkedAt)})` : ''}.</p>
<table><thead><tr><th>Measure</th><th class="num">On those deals</th><th class="num">Expected</th></tr></thead><tbody>
<tr><th scope="row">Loss rate</th><td class="num" id="drift-observed">${pct(d.observedLossRate)}</td><td class="num" id="drift-predicted">${pct(d.predictedLossRate)} predicted</td></tr>
<tr><th scope="row">ROC-AUC</th><td class="num" id="drift-auc">${num(d.auc)}</td><td class="num">${num(d.baselineAuc)} in its backtest</td></tr>
</tbody></table>
<p id="drift-verdict">${d.drifted ? `Drift: ${d.reasons.join('; ')}. The next sync retrains.` : 'No drift beyond the thresholds (config/sync.yaml, retrain.drift).'}</p>
</div>`;
}

/** The last training, kept or not, and what the "not worse" gate compared. */
function lastTrainingLine(t: ModelPerformanceView['lastTraining']) {
  if (!t) return '';
  const outcome = t.accepted
    ? `activated${t.version !== null ? ` as version ${t.version}` : ''}${t.forced ? ' (dealrisk train --force)' : ''}`
    : 'not activated: the active model stays';
  return html`<p id="model-last-training">Last training ${dateTime(t.at)} (${TRAINED_BECAUSE[t.reason] ?? t.reason}): ${outcome}. ${t.why.charAt(0).toUpperCase()}${t.why.slice(1)}${t.compared ? ` (compared on ${t.compared})` : ''}.</p>`;
}

const BASELINE_HEADINGS: Record<BaselineFiguresView['id'], string> = {
  crm_probability: 'CRM stage probability',
  naive_bayes: 'Naive Bayes (same fields)',
};

/** One plain sentence per baseline: which ranks deals better, and by how much. */
function baselineSentences(baselines: BaselineFiguresView[]) {
  if (baselines.length === 0) return '';
  return html`<ul id="model-baselines">${baselines.map(
    (x) =>
      html`<li data-baseline="${x.id}" data-verdict="${x.verdict}">${x.sentence}${
        x.verdict === 'baseline_better' ? ' Scores still come from the model: scoring with a baseline instead is not built yet.' : ''
      }</li>`,
  )}</ul>`;
}

export function modelPage(s: ServerContext, router: Router): void {
  router.get(
    '/model',
    pageRoute(s, async ({ p }) => {
      const r = await attempt(() => s.deps.scoring.modelPerformance(p.tenantId));
      if (!r.ok) return { title: 'Model', active: '/model', body: html`<p class="card">${r.message}</p>` };
      const m = r.value;
      const words = statusInWords(m);
      const b = m.backtest;
      const calibration = {
        type: 'scatter',
        data: {
          datasets: [
            {
              label: 'Perfect calibration',
              data: [
                { x: 0, y: 0 },
                { x: 1, y: 1 },
              ],
              type: 'line',
              borderColor: '#9aa3b2',
              borderDash: [4, 4],
              pointRadius: 0,
            },
            {
              label: 'Observed loss rate by predicted decile',
              data: m.calibration.map((c) => ({ x: c.predicted, y: c.observed })),
              backgroundColor: '#2454c5',
              pointRadius: 5,
              showLine: true,
              borderColor: '#2454c5',
            },
          ],
        },
        options: {
          scales: {
            x: { min: 0, max: 1, format: 'pct', title: { display: true, text: 'Predicted' } },
            y: { min: 0, max: 1, format: 'pct', title: { display: true, text: 'Observed' } },
          },
        },
      };
      const segments = {
        type: 'bar',
        data: {
          labels: m.segments.map((x) => x.segment),
          datasets: [
            {
              label: '95% interval',
              data: m.segments.map((x) => [x.interval.low, x.interval.high]),
              backgroundColor: 'rgba(36,84,197,0.25)',
            },
            {
              label: 'Win rate',
              data: m.segments.map((x) => x.winRate),
              type: 'line',
              showLine: false,
              pointRadius: 5,
              borderColor: '#2454c5',
              backgroundColor: '#2454c5',
            },
          ],
        },
        options: { scales: { y: { min: 0, max: 1, format: 'pct' } } },
      };
      const baselines = b?.baselines ?? [];
      const others = (cell: (x: BaselineFiguresView) => ReturnType<typeof html> | string) =>
        baselines.map((x) => html`<td class="num" data-baseline="${x.id}">${cell(x)}</td>`);
      const row = (
        label: string,
        model: number | null | undefined,
        prior: number | null | undefined,
        better: 'lower' | 'higher',
        of: (x: BaselineFiguresView) => number | null,
      ) =>
        html`<tr><th scope="row">${label}</th><td class="num">${num(model ?? null, 3)}</td><td class="num">${num(prior ?? null, 3)}</td>${others((x) => num(of(x), 3))}<td class="small muted">${better} is better</td></tr>`;
      const body = html`
<p class="card status-${words.tone}" data-model-status="${m.status}"><strong>${m.status === 'none' ? 'No model' : `Version ${m.version ?? '—'}`}</strong>${m.trainedAt ? ` (trained ${dateTime(m.trainedAt)})` : ''}: ${words.text}${m.statusText ? html`<br><span class="small" id="model-status-reason">${m.statusText}</span>` : ''}</p>
${
  b
    ? html`<h2>Backtest on the latest closed deals</h2>
${baselineSentences(baselines)}
<table id="model-backtest"><thead><tr><th>Measure</th><th class="num">Model</th><th class="num">Prior (overall win rate)</th>${baselines.map((x) => html`<th class="num">${BASELINE_HEADINGS[x.id]}</th>`)}<th></th></tr></thead><tbody>
<tr><th scope="row">ROC-AUC (95% interval)</th><td class="num">${num(b.auc)} (${num(b.aucLow)}–${num(b.aucHigh)})</td><td class="num">0.500</td>${others((x) => `${num(x.auc)} (${num(x.aucLow)}–${num(x.aucHigh)})`)}<td class="small muted">higher is better</td></tr>
${row('Log-loss', b.logLoss, b.priorLogLoss, 'lower', (x) => x.logLoss)}${row('Brier score', b.brier, b.priorBrier, 'lower', (x) => x.brier)}
<tr><th scope="row">PR-AUC</th><td class="num">${num(b.prAuc, 3)}</td><td class="num">—</td>${others(() => '—')}<td></td></tr>
<tr><th scope="row">Lift in the riskiest 20%</th><td class="num">${num(b.liftTop20)}×</td><td class="num">1.00×</td>${others(() => '—')}<td></td></tr>
</tbody></table><p class="small muted">Trained on ${b.nTrain ?? '—'} deals, tested on ${b.nTest ?? '—'} later ones; every column is measured on the same held-out deals at the same moments. How the baselines are computed: docs/scoring.md, "Baselines".</p>`
    : ''
}
<h2>Since training</h2>
${driftSection(m.drift)}
${lastTrainingLine(m.lastTraining)}
<div class="grid2">
  <section class="chart"><h2>Reliability (calibration)</h2><canvas data-chart="chart-calibration" role="img" aria-label="Predicted vs observed loss rate by decile"></canvas>${jsonData('chart-calibration', calibration)}</section>
  <section class="chart"><h2>Win rate by segment (95% intervals)</h2><canvas data-chart="chart-segments" role="img" aria-label="Win rate by segment with intervals"></canvas>${jsonData('chart-segments', segments)}
  <table><thead><tr><th>Segment</th><th class="num">Won</th><th class="num">Lost</th><th class="num">Win rate</th><th class="num">95% interval</th></tr></thead>
  <tbody>${m.segments.map((x) => html`<tr><td>${x.segment}</td><td class="num">${x.won}</td><td class="num">${x.lost}</td><td class="num">${pct(x.winRate)}</td><td class="num">${pct(x.interval.low)}–${pct(x.interval.high)}</td></tr>`)}</tbody></table></section>
</div>
<h2>Dropped as leaky</h2>
${m.droppedFeatures.length ? html`<ul>${m.droppedFeatures.map((f) => html`<li><code>${f.feature}</code>: alone it separates won from lost with AUC ${num(f.auc)}, which means it is known only after the outcome.</li>`)}</ul>` : html`<p class="muted">No feature was dropped.</p>`}
<h2>History</h2>
<table><thead><tr><th>Version</th><th>Trained</th><th>Status</th><th class="num">ROC-AUC</th><th></th></tr></thead><tbody>
${m.history.map(
  (
    h,
  ) => html`<tr><td>${h.version}${h.active ? raw(' <span class="badge">active</span>') : ''}</td><td>${dateTime(h.trainedAt)}</td><td>${h.status}</td><td class="num">${num(h.auc)}</td>
<td>${!h.active && p.role === 'admin' ? html`<form method="post" action="/model/${h.id}/rollback" class="inline">${csrfField(p)}<button class="secondary" type="submit">Roll back to this version</button></form>` : ''}</td></tr>`,
)}
</tbody></table>`;
      return { title: 'Model', active: '/model', charts: true, body };
    }),
  );

  router.post(
    '/model/:id/rollback',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const id = Number(req.params.id);
      if (!Number.isInteger(id) || !(await s.app.store.models.get(p.tenantId, id)))
        throw new AppError('not_found', 'no such model version in this workspace');
      await s.deps.scoring.rollback(p.tenantId, id, p.label);
      await s.app.store.audit.add(p.tenantId, { actor: p.label, action: 'model.rolled_back', target: String(id) }, s.app.now());
      redirectWith(res, '/model', 'ok', 'Rolled back; open deals are rescored with that version on the next sync.');
    }),
  );
}
