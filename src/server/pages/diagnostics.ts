import type { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { num, pct } from '../http/format.ts';
import { html, jsonData } from '../http/html.ts';
import { attempt, pageRoute } from './common.ts';
import { moneyIn } from './money.ts';

/** Revenue at stake (below the rest's win rate) or ahead (above it), in words. */
const impactNote = (impact: number | null, currency: string | null) =>
  impact === null || impact === 0
    ? ''
    : html` <span class="small muted">(${impact < 0 ? `${moneyIn(-impact, currency)} at stake` : `${moneyIn(impact, currency)} ahead of the rest`})</span>`;

/** Why is win rate moving: trend with the change point, funnel, cycle won vs lost, owners, insights. */
export function diagnosticsPage(s: ServerContext, router: Router): void {
  router.get(
    '/diagnostics',
    pageRoute(s, async ({ p }) => {
      const r = await attempt(() => s.deps.scoring.diagnostics(p.tenantId, s.app.now()));
      if (!r.ok)
        return {
          title: 'Diagnostics',
          active: '/diagnostics',
          body: html`<p class="card">Diagnostics are not available yet: ${r.message}</p>`,
        };
      const d = r.value;
      const labels = d.winRateByMonth.map((m) => m.period);
      const cpIndex = d.changePoint ? labels.indexOf(d.changePoint.period) : -1;
      const trend = {
        type: 'line',
        data: {
          labels,
          datasets: [
            {
              label: 'Win rate',
              data: d.winRateByMonth.map((m) => m.winRate),
              borderColor: '#2454c5',
              backgroundColor: '#2454c5',
              spanGaps: true,
              tension: 0.2,
            },
            {
              label: 'Closed deals',
              data: d.winRateByMonth.map((m) => m.won + m.lost),
              type: 'bar',
              backgroundColor: 'rgba(124,147,201,0.25)',
              yAxisID: 'y1',
            },
          ],
        },
        options: {
          scales: { y: { min: 0, max: 1, format: 'pct' }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } },
          plugins: { marker: cpIndex >= 0 ? { index: cpIndex, label: `decline starts ${d.changePoint!.period}` } : {} },
        },
      };
      const funnel = {
        type: 'bar',
        data: {
          labels: d.stageFunnel.map((f) => f.stage),
          datasets: [{ label: 'Deals reaching the stage', data: d.stageFunnel.map((f) => f.reached), backgroundColor: '#2454c5' }],
        },
        options: { indexAxis: 'y', plugins: { legend: { display: false } } },
      };
      const cycle = {
        type: 'bar',
        data: {
          labels: ['Won', 'Lost'],
          datasets: [
            {
              label: 'Median cycle (days)',
              data: [d.cycle.wonMedianDays, d.cycle.lostMedianDays],
              backgroundColor: ['#2e7d32', '#b42318'],
            },
          ],
        },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } },
      };
      const body = html`
<section class="card"><h2>What stands out</h2>
${d.insights.length ? html`<ol>${d.insights.map((i) => html`<li>${i.text}${impactNote(i.impact, d.currency ?? null)}</li>`)}</ol>` : html`<p class="muted">Nothing statistically meaningful yet (insights need at least 30 deals and an interval that excludes the rest).</p>`}
</section>
<div class="grid2">
  <section class="chart"><h2>Win rate by month</h2>
    <p class="small muted">${d.changePoint ? `Change point: ${d.changePoint.period} (win rate ${pct(d.changePoint.before)} before, ${pct(d.changePoint.after)} after).` : 'No change point detected.'}</p>
    <canvas data-chart="chart-trend" role="img" aria-label="Monthly win rate${d.changePoint ? `, change point at ${d.changePoint.period}` : ''}"></canvas>${jsonData('chart-trend', trend)}</section>
  <section class="chart"><h2>Stage funnel</h2>
    ${
      d.stageFunnel.length
        ? html`<canvas data-chart="chart-funnel" role="img" aria-label="${d.stageFunnel.map((f) => `${f.stage}: ${f.reached}`).join(', ')}"></canvas>${jsonData('chart-funnel', funnel)}`
        : html`<p class="muted">No stage history yet: the funnel needs the dates deals entered each stage (Salesforce OpportunityHistory, HubSpot dealstage history), which arrive with the syncs.</p>`
    }
    <table><thead><tr><th>Stage</th><th class="num">Reached</th><th class="num">Conversion to next</th><th class="num">Median days</th></tr></thead>
    <tbody>${d.stageFunnel.map((f) => html`<tr><td>${f.stage}</td><td class="num">${f.reached}</td><td class="num">${pct(f.conversion)}</td><td class="num">${num(f.medianDays, 0)}</td></tr>`)}</tbody></table></section>
  <section class="chart"><h2>Cycle length: won vs lost</h2>
    <canvas data-chart="chart-cycle" role="img" aria-label="Median cycle: won ${num(d.cycle.wonMedianDays, 0)} days, lost ${num(d.cycle.lostMedianDays, 0)} days"></canvas>${jsonData('chart-cycle', cycle)}
    <p class="small muted">${d.cycle.won} won and ${d.cycle.lost} lost deals.</p></section>
</div>
<h2>By owner</h2>
<table><thead><tr><th>Owner</th><th class="num">Won</th><th class="num">Lost</th><th class="num">Win rate</th><th class="num">Median cycle (days)</th><th class="num">High-risk open deals</th></tr></thead>
<tbody>${d.owners.map((o) => html`<tr><td>${o.ownerName ?? o.ownerId ?? '—'}</td><td class="num">${o.won}</td><td class="num">${o.lost}</td><td class="num">${pct(o.winRate)}</td><td class="num">${num(o.medianCycleDays, 0)}</td><td class="num">${o.highRiskOpen}</td></tr>`)}</tbody></table>`;
      return { title: 'Diagnostics', active: '/diagnostics', charts: true, body };
    }),
  );
}
