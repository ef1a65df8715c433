import type { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import { RISK_CATEGORIES } from '../../store/repos/deal-risk.ts';
import { dealRiskChange, listedMoney, resolveDealId, riskDealView, riskQueryFrom } from '../api/deals.ts';
import { readDetail, recordLinker } from '../api/detail.ts';
import { HighRiskQuery } from '../api/schemas.ts';
import type { ServerContext } from '../context.ts';
import { dateTime, day, pct } from '../http/format.ts';
import { html, raw, type SafeHtml } from '../http/html.ts';
import { pageRoute, q1 } from './common.ts';
import { pageMoney } from './money.ts';

const COLUMNS: Array<{ key: string; label: string; num?: boolean; sort?: string }> = [
  { key: 'name', label: 'Deal', sort: 'name' },
  { key: 'risk', label: 'Risk', sort: 'score' },
  { key: 'category', label: 'Category', sort: 'category' },
  { key: 'amount', label: 'Amount', num: true, sort: 'amount' },
  { key: 'owner', label: 'Owner', sort: 'owner' },
  { key: 'segment', label: 'Segment', sort: 'segment' },
  { key: 'age', label: 'Age (days)', num: true, sort: 'age' },
  { key: 'drivers', label: 'Top drivers' },
  { key: 'action', label: 'First action' },
];

/** Deals needing attention: a sortable, filterable table; sorting and paging happen in the database. */
export function dealsPages(s: ServerContext, router: Router): void {
  router.get(
    '/deals',
    pageRoute(s, async ({ req, p }) => {
      const raw0 = req.query as Record<string, unknown>;
      const cats = ([] as unknown[]).concat(raw0.risk_category ?? []).filter((x): x is string => typeof x === 'string' && x !== '');
      const input = {
        risk_category: cats.length ? cats.join(',') : 'High,Critical',
        owner: q1(raw0.owner),
        segment: q1(raw0.segment),
        min_amount: q1(raw0.min_amount),
        max_amount: q1(raw0.max_amount),
        min_age_days: q1(raw0.min_age_days),
        max_age_days: q1(raw0.max_age_days),
        sort_by: q1(raw0.sort_by),
        order: q1(raw0.order),
        offset: q1(raw0.offset),
        limit: q1(raw0.limit),
      };
      const parsed = HighRiskQuery.safeParse(Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)));
      if (!parsed.success) {
        throw new AppError(
          'input_invalid',
          `invalid filter: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      }
      const q = parsed.data;
      const now = s.app.now();
      // Amounts sort and filter in the reporting currency when the CRMs gave rates.
      const fx = await pageMoney(s.app.store, p.tenantId, now);
      const [list, facets, connections] = await Promise.all([
        s.app.store.dealRisk.list(p.tenantId, riskQueryFrom(q, now, fx.reporting)),
        s.app.store.dealRisk.facets(p.tenantId),
        s.app.store.connections.list(p.tenantId),
      ]);
      const link = recordLinker(s.deps, connections);
      const rows = list.rows.map((r) => riskDealView(r, now, link));
      // Each deal's own currency, and the converted figure under it when the tenant mixes currencies.
      const facts = await s.app.store.currencyRates.dealMoney(p.tenantId, rows);
      const amountCell = (d: (typeof rows)[number]) => fx.cell(listedMoney(d, facts));
      const selected = new Set(q.risk_category ?? ['High', 'Critical']);
      const base = new URLSearchParams();
      for (const c of selected) base.append('risk_category', c);
      for (const k of ['owner', 'segment', 'min_amount', 'max_amount', 'min_age_days', 'max_age_days'] as const) {
        if (q[k] !== undefined) base.set(k, String(q[k]));
      }
      const urlWith = (over: Record<string, string>) => {
        const u = new URLSearchParams(base);
        u.set('sort_by', q.sort_by);
        u.set('order', q.order);
        for (const [k, v] of Object.entries(over)) u.set(k, v);
        return `/deals?${u.toString()}`;
      };
      const header = (c: (typeof COLUMNS)[number]): SafeHtml => {
        if (!c.sort) return html`<th scope="col">${c.label}</th>`;
        const current = q.sort_by === c.sort;
        const nextOrder = current && q.order === 'desc' ? 'asc' : 'desc';
        const ariaSort = current ? (q.order === 'desc' ? 'descending' : 'ascending') : 'none';
        return html`<th scope="col" class="${c.num ? 'num' : ''}" aria-sort="${ariaSort}"><a href="${urlWith({ sort_by: c.sort, order: nextOrder, offset: '0' })}" data-sort="${c.sort}">${c.label}${
          current ? (q.order === 'desc' ? ' ▼' : ' ▲') : ''
        }</a></th>`;
      };
      const filters = html`<form class="filters" method="get" action="/deals" aria-label="Filter deals">
  <fieldset class="bare"><legend class="small muted">Category</legend>
  ${RISK_CATEGORIES.map((c) => html`<label class="check"><input type="checkbox" name="risk_category" value="${c}"${selected.has(c) ? raw(' checked') : ''}> ${c}</label>`)}
  </fieldset>
  <div><label for="f-owner">Owner</label><select id="f-owner" name="owner"><option value="">Any</option>${facets.owners.map(
    (o) => html`<option value="${o.id ?? ''}"${q.owner === o.id ? raw(' selected') : ''}>${o.name ?? o.id ?? '—'}</option>`,
  )}</select></div>
  <div><label for="f-segment">Segment</label><select id="f-segment" name="segment"><option value="">Any</option>${facets.segments.map(
    (x) => html`<option${q.segment?.toLowerCase() === x.toLowerCase() ? raw(' selected') : ''}>${x}</option>`,
  )}</select></div>
  <div><label for="f-min">Min amount${fx.reporting ? ` (${fx.reporting})` : ''}</label><input id="f-min" name="min_amount" type="number" min="0" step="any" size="8" value="${q.min_amount ?? ''}"></div>
  <div><label for="f-max">Max amount${fx.reporting ? ` (${fx.reporting})` : ''}</label><input id="f-max" name="max_amount" type="number" min="0" step="any" size="8" value="${q.max_amount ?? ''}"></div>
  <div><label for="f-age">Older than (days)</label><input id="f-age" name="min_age_days" type="number" min="0" size="5" value="${q.min_age_days ?? ''}"></div>
  <input type="hidden" name="sort_by" value="${q.sort_by}"><input type="hidden" name="order" value="${q.order}">
  <button type="submit">Apply</button> <a href="/deals">Reset</a>
</form>`;
      const table = html`<table aria-describedby="deals-count">
<thead><tr>${COLUMNS.map(header)}</tr></thead>
<tbody>${rows.map(
        (d) => html`<tr>
  <td><a href="/deals/${encodeURIComponent(d.id)}">${d.name ?? d.externalId}</a>${d.crmUrl ? html`<br><a class="small" href="${d.crmUrl}" target="_blank" rel="noopener noreferrer">Open in ${d.source === 'hubspot' ? 'HubSpot' : 'Salesforce'} ↗</a>` : ''}</td>
  <td class="num">${d.riskScore}</td>
  <td><span class="cat cat-${d.category}">${d.category}</span>${d.modelStatus !== 'ok' ? html`<br><span class="small muted">${d.modelStatus === 'no_signal' ? 'experimental' : d.modelStatus}</span>` : ''}</td>
  <td class="num">${amountCell(d)}</td>
  <td>${d.owner.name ?? d.owner.id ?? '—'}</td>
  <td>${d.segment ?? '—'}</td>
  <td class="num">${d.ageDays ?? '—'}</td>
  <td><ul class="drivers">${d.drivers.map((x) => html`<li>${x.sentence || x.label}</li>`)}</ul></td>
  <td>${d.firstAction ? html`<strong>${d.firstAction.title}</strong><br><span class="small muted">${d.firstAction.priority.replace('_', ' ')}</span>` : '—'}</td>
</tr>`,
      )}</tbody></table>`;
      const from = list.total === 0 ? 0 : q.offset + 1;
      const to = q.offset + rows.length;
      const pager = html`<div class="pager">
  ${q.offset > 0 ? html`<a href="${urlWith({ offset: String(Math.max(0, q.offset - q.limit)) })}" rel="prev">← Previous</a>` : ''}
  <span id="deals-count">${from}–${to} of ${list.total}${list.totalExact ? '' : '+'} open deals</span>
  ${to < list.total || !list.totalExact ? html`<a href="${urlWith({ offset: String(q.offset + q.limit) })}" rel="next">Next →</a>` : ''}
</div>`;
      return {
        title: 'Deals needing attention',
        active: '/deals',
        body: html`${filters}${rows.length ? table : html`<p class="card">No open deals match these filters.</p>`}${pager}`,
      };
    }),
  );

  router.get(
    '/deals/:id',
    pageRoute(s, async ({ req, p }) => {
      const { source, externalId } = await resolveDealId(s, p.tenantId, String(req.params.id));
      const deal = await s.app.store.deals.get(p.tenantId, source, externalId);
      if (!deal) throw new AppError('not_found', `no deal ${String(req.params.id)} in this workspace`);
      const [current, history, connections] = await Promise.all([
        s.app.store.dealRisk.get(p.tenantId, source, externalId),
        s.app.store.scores.history(p.tenantId, source, externalId, 20),
        s.app.store.connections.list(p.tenantId),
      ]);
      const d = readDetail(current?.detail);
      const changes = await dealRiskChange(s, p.tenantId, history[0], {
        labels: Object.fromEntries(d.drivers.map((x) => [x.feature, x.label])),
        currency: deal.currency,
      });
      const url = recordLinker(s.deps, connections)(source, externalId);
      const fx = await pageMoney(s.app.store, p.tenantId, s.app.now());
      const body = html`<p>${fx.line(deal)} · ${deal.stage.label ?? deal.stage.status} · owner ${deal.owner.name ?? '—'} · created ${day(deal.createdAt)}
  ${url ? html` · <a href="${url}" target="_blank" rel="noopener noreferrer">Open in the CRM ↗</a>` : ''}</p>
${
  current
    ? html`<p class="card">Risk <strong>${current.score}</strong> <span class="cat cat-${current.category}">${current.category}</span> · win probability ${pct(current.winProbability)} · model status ${current.modelStatus} · scored ${dateTime(current.scoredAt)}</p>
${changes ? html`<p class="risk-change">${changes.sentence}</p>` : ''}
<h2>Why</h2><ol>${d.drivers.map((x) => html`<li>${x.sentence || x.label} <span class="small muted">(${x.direction === 'raises_risk' ? 'raises' : 'lowers'} risk, ${x.contribution.toFixed(2)} log-odds)</span></li>`)}</ol>
<h2>What to do</h2><ul>${d.actions.map((a) => html`<li><strong>${a.title}</strong> (${a.priority.replace('_', ' ')}): ${a.rationale}</li>`)}</ul>`
    : html`<p class="card">Not scored yet.</p>`
}
<h2>Score history</h2>
<table><thead><tr><th>Scored</th><th class="num">Risk</th><th>Category</th><th>Model status</th></tr></thead>
<tbody>${history.map((h) => html`<tr><td>${dateTime(h.scoredAt)}</td><td class="num">${h.score}</td><td>${h.category}</td><td>${h.modelStatus}</td></tr>`)}</tbody></table>`;
      return { title: deal.name ?? externalId, active: '/deals', body };
    }),
  );
}
