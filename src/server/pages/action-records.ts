import { parsePlaybook } from '../../core/actions/playbook.ts';
import { actionOutcomesReport } from '../../scoring/action-outcomes.ts';
import type { ServerContext } from '../context.ts';
import { pct } from '../http/format.ts';
import { html, type SafeHtml } from '../http/html.ts';

const signedPts = (x: number): string => `${x > 0 ? '+' : x < 0 ? '−' : '±'}${Math.abs(x * 100).toFixed(0)}`;

/**
 * The playbook editor's companion: each rule of the tenant's playbook with its record so far
 * (deals, done within the acting window, loss rate acted on against not), from the same report
 * as the Actions page, grouped by rule.
 */
export async function playbookRecords(s: ServerContext, tenantId: string, playbook: unknown): Promise<SafeHtml> {
  let rules: Array<{ id: string; action: string; title: string }>;
  try {
    rules = parsePlaybook(playbook).rules;
  } catch {
    // The editor already says what is wrong with the playbook; no records without one.
    return html``;
  }
  const report = await actionOutcomesReport(s.app.store, tenantId, s.app.now(), { by: 'rule' });
  const byRule = new Map(report.outcomes.map((o) => [o.key, o]));
  const record = (id: string): SafeHtml => {
    const o = byRule.get(id);
    if (!o) return html`<td colspan="3" class="small muted">No task yet</td>`;
    const done = o.speed.eligible ? `${pct(o.speed.doneWithin.estimate)} (${o.speed.doneWithin.count} of ${o.speed.eligible})` : 'none yet';
    const loss = o.lossRate.shown
      ? html`${signedPts(o.lossRate.difference.estimate)} pts [${signedPts(o.lossRate.difference.low)}, ${signedPts(o.lossRate.difference.high)}]`
      : html`<span class="small muted">not enough deals yet</span>`;
    return html`<td class="num">${o.recommended}</td><td class="num">${done}</td><td class="num">${loss}</td>`;
  };
  return html`<table id="playbook-records"><caption>Each rule's record so far (<a href="/actions?by=rule">details</a>)</caption>
<thead><tr><th scope="col">Rule</th><th scope="col">Action</th><th scope="col" class="num">Deals</th><th scope="col" class="num">Done within ${report.actWithinDays} days</th><th scope="col" class="num">Lost, acted on vs not</th></tr></thead>
<tbody>${rules.map((r) => html`<tr data-rule="${r.id}"><th scope="row"><code>${r.id}</code></th><td>${r.title}</td>${record(r.id)}</tr>`)}</tbody></table>
<p class="small muted">${report.caveat} The loss difference is in percentage points with its 95% interval, among deals of the same risk band and segment.</p>`;
}
