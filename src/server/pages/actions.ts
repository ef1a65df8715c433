import type { Router } from 'express';
import type { Estimate, MeanEstimate, RateEstimate } from '../../core/actions/intervals.ts';
import type { ActionOutcome, RepCompletion, ShownFigure, WithheldFigure } from '../../core/actions/outcomes.ts';
import { AppError, formatIssues } from '../../core/errors.ts';
import { type ActionOutcomesReport, actionOutcomesReport, repCompletionReport } from '../../scoring/action-outcomes.ts';
import { ActionOutcomesQuery, actionTitles } from '../api/actions.ts';
import type { ServerContext } from '../context.ts';
import { pct } from '../http/format.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { pageRoute } from './common.ts';

const signed = (x: number, digits = 1): string => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x).toFixed(digits)}`;
const points = (e: Estimate): string => `${signed(e.estimate)} [${signed(e.low)}, ${signed(e.high)}]`;
const share = (e: Estimate): string => `${pct(e.estimate)} [${pct(e.low)}, ${pct(e.high)}]`;
const diffPct = (e: Estimate): string => `${signed(e.estimate * 100, 0)} pts [${signed(e.low * 100, 0)}, ${signed(e.high * 100, 0)}]`;
const days = (x: number | null): string => (x === null ? '—' : `${x.toFixed(1)} d`);

/** What a difference's interval says, in words a manager reads. */
function verdict(d: Estimate, what: 'risk' | 'loss'): SafeHtml {
  if (d.low > 0) return html`<span class="verdict up">higher ${what} when acted on</span>`;
  if (d.high < 0) return html`<span class="verdict down">lower ${what} when acted on</span>`;
  return html`<span class="verdict none">no clear difference</span>`;
}

function withheld(f: WithheldFigure): SafeHtml {
  return html`<td colspan="3" class="withheld small muted">Not shown yet: ${f.reason}.</td>`;
}

function riskCells(f: ShownFigure<MeanEstimate> | WithheldFigure): SafeHtml {
  if (!f.shown) return withheld(f);
  return html`<td class="num">${points(f.acted)}<br><span class="small muted">${f.deals.acted} deals</span></td>
<td class="num">${points(f.notActed)}<br><span class="small muted">${f.deals.notActed} deals</span></td>
<td class="num">${points(f.difference)}<br>${verdict(f.difference, 'risk')}</td>`;
}

function lossCells(f: (ShownFigure<RateEstimate> | WithheldFigure) & { stillOpen: { acted: number; notActed: number } }): SafeHtml {
  if (!f.shown) return withheld(f);
  return html`<td class="num">${share(f.acted)}<br><span class="small muted">${f.acted.count} of ${f.deals.acted} lost</span></td>
<td class="num">${share(f.notActed)}<br><span class="small muted">${f.deals.notActed} deals, reweighted</span></td>
<td class="num">${diffPct(f.difference)}<br>${verdict(f.difference, 'loss')}</td>`;
}

const label = (o: ActionOutcome, titles: ReadonlyMap<string, string>): SafeHtml =>
  html`<strong>${titles.get(o.action) ?? o.action}</strong><br><code class="small">${o.key}</code>`;

function outcomesTable(r: ActionOutcomesReport, titles: ReadonlyMap<string, string>): SafeHtml {
  if (r.outcomes.length === 0)
    return html`<p class="card" id="actions-empty">No playbook task has been followed yet. Tasks appear here once the sync has created them in the CRM (High and Critical deals, the playbook's urgent actions) and taken them in.</p>`;
  const speed = (o: ActionOutcome) =>
    o.speed.eligible
      ? html`${share(o.speed.doneWithin)}<br><span class="small muted">${o.speed.doneWithin.count} of ${o.speed.eligible}</span>`
      : html`<span class="small muted">none yet</span>`;
  return html`<table class="actions" id="action-outcomes">
<caption>Each playbook ${r.by}: acted on (task done within ${r.actWithinDays} days) against comparable deals not acted on</caption>
<thead>
<tr><th scope="col" rowspan="2">${r.by === 'rule' ? 'Rule' : 'Action'}</th><th scope="col" rowspan="2" class="num">Deals</th><th scope="col" rowspan="2" class="num">Done within ${r.actWithinDays} days</th><th scope="col" rowspan="2" class="num">Median days to done</th>
<th scope="colgroup" colspan="3">Risk change over ${r.followDays} days (points)</th><th scope="colgroup" colspan="3">Lost, of the closed deals</th></tr>
<tr><th scope="col" class="num">Acted on</th><th scope="col" class="num">Not acted on</th><th scope="col" class="num">Difference</th>
<th scope="col" class="num">Acted on</th><th scope="col" class="num">Not acted on</th><th scope="col" class="num">Difference</th></tr>
</thead>
<tbody>${r.outcomes.map(
    (
      o,
    ) => html`<tr data-action="${o.key}"><th scope="row">${label(o, titles)}</th><td class="num">${o.recommended}</td><td class="num">${speed(o)}</td><td class="num">${days(o.speed.medianDays)}</td>
${riskCells(o.riskChange)}${lossCells(o.lossRate)}</tr>`,
  )}</tbody></table>
<p class="small muted">Figures: estimate [95% interval]. Risk change: mean points, normal interval. Lost: share of the closed deals, Wilson interval; the difference in percentage points, Newcombe's interval.
A comparison appears once each group has ${r.minDeals} matched deals.</p>`;
}

function repTable(reps: RepCompletion[], actWithinDays: number): SafeHtml {
  if (reps.length === 0) return html`<p class="small muted">No task in the last 30 days.</p>`;
  return html`<table id="rep-completion"><caption>Tasks recommended in the last 30 days, by rep</caption>
<thead><tr><th scope="col">Rep</th><th scope="col" class="num">Old enough to tell</th><th scope="col" class="num">Done within ${actWithinDays} days</th><th scope="col" class="num">Completed so far</th><th scope="col" class="num">Median days</th><th scope="col" class="num">Still open</th></tr></thead>
<tbody>${reps.map(
    (r) => html`<tr><th scope="row">${r.ownerName ?? r.ownerId ?? 'No owner'}</th><td class="num">${r.eligible}</td>
<td class="num">${r.eligible ? share(r.doneWithin) : '—'}</td><td class="num">${r.completed}</td><td class="num">${days(r.medianDays)}</td><td class="num">${r.open}</td></tr>`,
  )}</tbody></table>`;
}

/** Actions: what became of the playbook's recommendations, per action, and each rep's follow-through. */
export function actionsPage(s: ServerContext, router: Router): void {
  router.get(
    '/actions',
    pageRoute(s, async ({ req, p }) => {
      const parsed = ActionOutcomesQuery.safeParse(req.query);
      if (!parsed.success) throw new AppError('input_invalid', `invalid query: ${formatIssues(parsed.error.issues)}`);
      const q = parsed.data;
      const now = s.app.now();
      const [report, reps, titles] = await Promise.all([
        actionOutcomesReport(s.app.store, p.tenantId, now, {
          by: q.by,
          ...(q.act_within_days !== undefined ? { actWithinDays: q.act_within_days } : {}),
          ...(q.follow_days !== undefined ? { followDays: q.follow_days } : {}),
          ...(q.min_deals !== undefined ? { minDeals: q.min_deals } : {}),
          ...(q.since_days !== undefined ? { sinceDays: q.since_days } : {}),
        }),
        repCompletionReport(s.app.store, p.tenantId, now, q.act_within_days !== undefined ? { actWithinDays: q.act_within_days } : {}),
        actionTitles(s, p.tenantId),
      ]);
      const t = report.tasks;
      const body = html`<p class="note" role="note" id="actions-caveat"><strong>Read with care.</strong> ${report.caveat}</p>
<p>${t.followed} playbook task${t.followed === 1 ? '' : 's'} followed: ${t.completed} completed, ${t.open} open, ${t.dismissed} deleted without being done.
Deals are compared within the same risk band and segment (company size, else deal type) as when the task was created.</p>
<form method="get" action="/actions" class="filters">
<div><label for="by">Group by</label><select id="by" name="by"><option value="action"${report.by === 'action' ? ' selected' : ''}>Action</option><option value="rule"${report.by === 'rule' ? ' selected' : ''}>Playbook rule</option></select></div>
<div><label for="since">Recommended in the last</label><select id="since" name="since_days"><option value="">any time</option>${[
        90, 180, 365,
      ].map((d) => html`<option value="${d}"${q.since_days === d ? ' selected' : ''}>${d} days</option>`)}</select></div>
<div><button type="submit">Show</button></div></form>
${outcomesTable(report, titles)}
<h2>Follow-through by rep</h2>
${repTable(reps.reps, reps.actWithinDays)}`;
      return { title: 'Actions', active: '/actions', body };
    }),
  );
}
