import type { Router } from 'express';
import { currencyConverter } from '../../core/currency/convert.ts';
import { forecastReport } from '../../scoring/forecast.ts';
import type { ServerContext } from '../context.ts';
import { num, pct } from '../http/format.ts';
import { html, jsonData } from '../http/html.ts';
import { attempt, pageRoute } from './common.ts';
import { forecastSection } from './forecast.ts';
import { currencyNote, moneyCompact, moneyIn } from './money.ts';

const CATEGORY_COLORS = { Low: '#2e7d32', Medium: '#b7791f', High: '#d9480f', Critical: '#b42318' } as const;

/** Overview: raw pipeline vs RAPV and the optimism gap, expected value, REM, revenue at risk. */
export function overviewPage(s: ServerContext, router: Router): void {
  router.get(
    '/',
    pageRoute(s, async ({ p }) => {
      const now = s.app.now();
      const reporting = currencyConverter(await s.app.store.currencyRates.bySource(p.tenantId), [], now).reporting;
      const [metrics, stored, forecast] = await Promise.all([
        attempt(() => s.deps.scoring.metrics(p.tenantId, {}, now)),
        s.app.store.dealRisk.distribution(p.tenantId, reporting ? { currency: reporting, asOf: now } : undefined),
        attempt(() => forecastReport(s.app.store, p.tenantId, now, { quarters: 1 })),
      ]);
      // The scoring service's amounts, else the stored sums (converted with the stored rates, deals without a rate left out).
      const dist = (metrics.ok && metrics.value.riskDistribution) || stored;
      const scored = dist.reduce((a, d) => a + d.deals, 0);
      const empty =
        scored === 0
          ? html`<p class="card">No scored deals yet. The first sync fetches your pipeline, trains a model on your closed deals and scores every open one;
              follow it on the <a href="/sync">Sync</a> page.</p>`
          : '';
      if (!metrics.ok)
        return {
          title: 'Overview',
          active: '/',
          body: html`${empty}<p class="card">Pipeline metrics are not available yet: ${metrics.message}</p>`,
        };
      const m = metrics.value;
      const cur = m.currency ?? null;
      const money = (x: number | null | undefined) => moneyIn(x, cur);
      const moneyShort = (x: number | null | undefined) => moneyCompact(x, cur);
      const pipelineChart = {
        type: 'bar',
        data: {
          labels: ['Raw pipeline', 'Risk-adjusted (RAPV)', 'Expected value', 'Revenue at risk'],
          datasets: [
            {
              label: 'Amount',
              data: [m.rawPipeline, m.rapv, m.expectedValue, m.revenueAtRisk],
              backgroundColor: ['#7c93c9', '#2454c5', '#3a8f5c', '#b42318'],
            },
          ],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, format: 'money' } } },
      };
      const distChart = {
        type: 'bar',
        data: {
          labels: dist.map((d) => d.category),
          datasets: [
            {
              label: 'Open deals',
              data: dist.map((d) => d.deals),
              backgroundColor: dist.map((d) => CATEGORY_COLORS[d.category]),
              yAxisID: 'y',
            },
            {
              label: 'Amount',
              data: dist.map((d) => d.amount),
              type: 'line',
              borderColor: '#1d2330',
              backgroundColor: '#1d2330',
              yAxisID: 'y1',
            },
          ],
        },
        options: {
          scales: {
            y: { beginAtZero: true, title: { display: true, text: 'Deals' } },
            y1: {
              beginAtZero: true,
              position: 'right',
              grid: { drawOnChartArea: false },
              format: 'money',
              title: { display: true, text: 'Amount' },
            },
          },
        },
      };
      const body = html`${empty}
<section class="cards" aria-label="Key figures">
  <div class="card"><div class="label">Raw pipeline (${m.openDeals} open deals)</div><div class="value">${money(m.rawPipeline)}</div></div>
  <div class="card"><div class="label">Risk-adjusted pipeline (RAPV)</div><div class="value">${money(m.rapv)}</div></div>
  <div class="card"><div class="label">Optimism gap</div><div class="value">${pct(m.optimismGap)}</div><div class="small muted">of the raw pipeline is unlikely to close on time</div></div>
  <div class="card"><div class="label">Expected value (Σ amount × P(win))</div><div class="value">${money(m.expectedValue)}</div></div>
  <div class="card"><div class="label">Revenue efficiency (REM)</div><div class="value">${num(m.rem, 1)}</div><div class="small muted">per day: win rate ${pct(m.winRate)} × avg deal ${moneyShort(m.averageDealSize)} ÷ ${num(m.averageCycleDays, 0)} days</div></div>
  <div class="card"><div class="label">Revenue at risk (High + Critical)</div><div class="value">${money(m.revenueAtRisk)}</div></div>
  <div class="card"><div class="label">Potential recovery</div><div class="value">${money(m.potentialRecovery.amount)}</div>
    <div class="small muted">An estimate, not a forecast. ${/assum/i.test(m.potentialRecovery.assumption) ? m.potentialRecovery.assumption : `Assumption: ${m.potentialRecovery.assumption}`}</div></div>
</section>
${currencyNote(cur, m.unconverted?.list ?? [])}
<div class="grid2">
  <section class="chart"><h2>Pipeline: raw vs risk-adjusted</h2>
    <canvas data-chart="chart-pipeline" role="img" aria-label="Raw pipeline ${money(m.rawPipeline)}, RAPV ${money(m.rapv)}, expected value ${money(m.expectedValue)}, revenue at risk ${money(m.revenueAtRisk)}"></canvas>
    ${jsonData('chart-pipeline', pipelineChart)}</section>
  <section class="chart"><h2>Risk distribution of open deals</h2>
    <canvas data-chart="chart-risk" role="img" aria-label="${dist.map((d) => `${d.category}: ${d.deals} deals`).join(', ')}"></canvas>
    ${jsonData('chart-risk', distChart)}
    <p class="small"><a href="/deals">See the deals needing attention →</a></p></section>
</div>
${forecast.ok ? forecastSection(forecast.value) : html`<p class="card">The forecast comparison is not available: ${forecast.message}</p>`}`;
      return { title: 'Overview', active: '/', charts: true, body };
    }),
  );
}
