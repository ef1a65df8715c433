import type { Router } from 'express';
import { CALL_LABELS, type OpenCall } from '../../core/forecast/calls.ts';
import type { CallFigures, FlaggedDeal, QuarterForecast, RepForecast } from '../../core/forecast/reconcile.ts';
import type { Outcomes, QuarterTrackRecord, RepTrackRecord } from '../../core/forecast/track-record.ts';
import { type ForecastReport, forecastReport } from '../../scoring/forecast.ts';
import type { ServerContext } from '../context.ts';
import { pct } from '../http/format.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { pageRoute } from './common.ts';
import { currencyNote, moneyIn } from './money.ts';

const repName = (r: { ownerId: string | null; ownerName: string | null }): string => r.ownerName ?? r.ownerId ?? 'No owner';

function figures(f: CallFigures, cur: string | null): SafeHtml {
  if (f.deals === 0) return html`<td class="num">—</td><td class="num">—</td>`;
  const share = f.scoredAmount > 0 ? f.riskAdjusted / f.scoredAmount : null;
  return html`<td class="num">${moneyIn(f.amount, cur)}<br><span class="small muted">${f.deals} deal${f.deals === 1 ? '' : 's'}</span></td>
<td class="num">${moneyIn(f.riskAdjusted, cur)}<br><span class="small muted">${share !== null ? `${pct(share)} of it` : f.unscored ? 'not scored' : `no amount in ${cur ?? 'one currency'}`}${share !== null && f.unscored ? `, ${f.unscored} unscored` : ''}</span></td>`;
}

const flagCount = (r: RepForecast): SafeHtml =>
  html`<td class="num">${r.flagged.commitAtRisk.length}</td><td class="num">${r.flagged.bestCaseAtRisk.length}</td><td class="num">${r.flagged.pipelineLow.length}</td>`;

/** One quarter: per rep, what is called Commit and Best Case next to its risk-adjusted value. */
export function quarterTable(q: QuarterForecast, cur: string | null, limit = Infinity): SafeHtml {
  const reps = q.reps.filter((r) => r.calls.commit.deals + r.calls.best_case.deals + r.calls.pipeline.deals > 0);
  const row = (r: RepForecast, label: SafeHtml | string) =>
    html`<tr><th scope="row">${label}</th>${figures(r.calls.commit, cur)}${figures(r.calls.best_case, cur)}${figures(r.calls.pipeline, cur)}${flagCount(r)}</tr>`;
  return html`<table class="forecast" data-quarter="${q.quarter}">
<caption>${q.quarter}${q.current ? ' (this quarter)' : ''}${q.total.overdue ? html` <span class="small muted">· ${q.total.overdue} called deal${q.total.overdue === 1 ? '' : 's'} past their close date counted here</span>` : ''}</caption>
<thead><tr><th scope="col">Rep</th><th scope="col" class="num">Commit</th><th scope="col" class="num">Risk-adjusted</th><th scope="col" class="num">Best Case</th><th scope="col" class="num">Risk-adjusted</th><th scope="col" class="num">Pipeline</th><th scope="col" class="num">Risk-adjusted</th>
<th scope="col" class="num" title="Commit deals the model rates High or Critical">Commit at risk</th><th scope="col" class="num" title="Best Case deals the model rates High or Critical">Best Case at risk</th><th scope="col" class="num" title="Pipeline deals the model rates Low">Pipeline rated Low</th></tr></thead>
<tbody>${reps.slice(0, limit).map((r) => row(r, repName(r)))}</tbody>
<tfoot>${row(q.total, html`<strong>All reps</strong>`)}</tfoot>
</table>${reps.length > limit ? html`<p class="small muted">${reps.length - limit} more reps on the <a href="/forecast">forecast page</a>.</p>` : ''}`;
}

function flaggedList(title: string, id: string, deals: FlaggedDeal[], cur: string | null): SafeHtml {
  if (deals.length === 0) return html``;
  return html`<h3 id="${id}">${title} (${deals.length})</h3>
<table><thead><tr><th>Deal</th><th>Rep</th><th>Call</th><th>Model</th><th class="num">Amount</th><th>Close date</th></tr></thead>
<tbody>${deals.map(
    (
      d,
    ) => html`<tr><td><a href="/deals/${encodeURIComponent(d.externalId)}">${d.name ?? d.externalId}</a></td><td>${repName(d)}</td><td>${CALL_LABELS[d.call]}</td>
<td><span class="cat cat-${d.category}">${d.category}</span> <span class="small muted">P(win) ${pct(d.winProbability)}</span></td>
<td class="num">${moneyIn(d.amount, d.currency ?? cur)}${
      d.currency && cur && d.currency !== cur
        ? html`<br><span class="small muted">${d.converted === null ? 'no rate' : `≈ ${moneyIn(d.converted, cur)}`}</span>`
        : ''
    }</td><td>${d.closeDate ?? '—'}</td></tr>`,
  )}</tbody></table>`;
}

const rate = (o: Outcomes): string => (o.deals ? `${o.won} of ${o.deals} won (${pct(o.won / o.deals)})` : '—');
const CALLS: OpenCall[] = ['commit', 'best_case', 'pipeline'];

function trackTable(rec: QuarterTrackRecord): SafeHtml {
  const row = (r: RepTrackRecord, label: SafeHtml | string) => html`<tr><th scope="row">${label}</th>
${CALLS.map((c) => html`<td>${rate(r.rep[c])}</td>`)}
<td>${rate(r.model.high)}</td><td>${rate(r.model.low)}</td>
<td>${rate(r.disagreements.commitRatedHigh)}</td><td>${rate(r.disagreements.pipelineRatedLow)}</td></tr>`;
  return html`<table class="track" data-quarter="${rec.quarter}">
<caption>${rec.quarter}: ${rec.deals} called deal${rec.deals === 1 ? '' : 's'}, recorded ${rec.recordedAt.slice(0, 10)}${rec.unconverted ? ` (${rec.unconverted} without a rate: counted, amounts left out)` : ''}</caption>
<thead><tr><th scope="col">Rep</th><th scope="col">Called Commit</th><th scope="col">Called Best Case</th><th scope="col">Called Pipeline</th>
<th scope="col">Model: High or Critical</th><th scope="col">Model: Low</th><th scope="col">Commit the model rated High+</th><th scope="col">Pipeline the model rated Low</th></tr></thead>
<tbody>${rec.reps.map((r) => row(r, repName(r)))}</tbody><tfoot>${row(rec.total, html`<strong>All reps</strong>`)}</tfoot></table>`;
}

const notMapped = html`<p class="card" id="forecast-unmapped">No open deal carries a forecast category: map the CRM's forecast category (Salesforce
<code>ForecastCategoryName</code>, HubSpot <code>hs_manual_forecast_category</code>) as <code>forecastCategory</code> in
<a href="/settings">Settings</a> to set the reps' calls against the model.</p>`;

/** The overview's forecast section: this quarter, per rep (the first 8). */
export function forecastSection(r: ForecastReport): SafeHtml {
  const x = r.reconciliation;
  if (!x.mapped)
    return html`<section aria-labelledby="forecast-h"><h2 id="forecast-h">Forecast against the model</h2>${notMapped}</section>`;
  const q = x.quarters[0]!;
  return html`<section aria-labelledby="forecast-h"><h2 id="forecast-h">Forecast against the model</h2>
<p class="small muted">What the reps call Commit, Best Case and Pipeline for ${q.quarter}, next to its risk-adjusted value (Σ amount × the model's P(win)).
<a href="/forecast">Deals where the two disagree, next quarter and track record →</a></p>
${quarterTable(q, x.currency, 8)}</section>`;
}

/** Forecast: the reps' calls against the model, the deals where they disagree, and past quarters. */
export function forecastPage(s: ServerContext, router: Router): void {
  router.get(
    '/forecast',
    pageRoute(s, async ({ p }) => {
      const r = await forecastReport(s.app.store, p.tenantId, s.app.now(), { quarters: 2 });
      const x = r.reconciliation;
      const cur = x.currency;
      const quarters = x.quarters.map(
        (q) => html`<section aria-label="${q.quarter}">${quarterTable(q, cur)}
${flaggedList(`${q.quarter}: Commit deals the model rates High or Critical`, `commit-risk-${q.quarter}`, q.total.flagged.commitAtRisk, cur)}
${flaggedList(`${q.quarter}: Best Case deals the model rates High or Critical`, `best-risk-${q.quarter}`, q.total.flagged.bestCaseAtRisk, cur)}
${flaggedList(`${q.quarter}: Pipeline deals the model rates Low`, `pipeline-low-${q.quarter}`, q.total.flagged.pipelineLow, cur)}</section>`,
      );
      const track = r.trackRecord.length
        ? html`${r.trackRecord.map(trackTable)}<p class="small muted">Each deal as last seen open before its quarter ended: the rep's call and the model's category at that moment, against what happened by the quarter's end (won, lost, or not closed in it). Counts, not proof of skill: a handful of deals says little.</p>`
        : html`<p class="card">No quarter has closed since the app began watching this pipeline: the first record is written two days after this quarter ends.</p>`;
      const body = html`${x.mapped ? html`${currencyNote(cur, x.unconverted, 'called deals')}${quarters}` : notMapped}
${x.unrecognised.length ? html`<p class="small muted">Forecast categories not read as a call: ${x.unrecognised.map((u) => `${u.value} (${u.deals})`).join(', ')}.</p>` : ''}
<h2>Track record</h2>${track}`;
      return { title: 'Forecast', active: '/forecast', body };
    }),
  );
}
