import type { Router } from 'express';
import { AppError } from '../../core/errors.ts';
import type { SyncRunView } from '../api/schemas.ts';
import type { ServerContext } from '../context.ts';
import { dateTime, num } from '../http/format.ts';
import { html } from '../http/html.ts';
import { assertAdmin, attempt, pageRoute, redirectWith } from './common.ts';
import { csrfField } from './layout.ts';

const STATUS_TONE: Record<string, string> = { active: 'ok', needs_reauth: 'bad', paused: 'warn', disconnected: 'muted' };
const STATUS_WORDS: Record<string, string> = {
  active: 'Connected',
  needs_reauth: 'Needs re-authorization: syncing has stopped',
  paused: 'Paused (CRM limit reached)',
  disconnected: 'Disconnected',
};

/** Write-backs and tasks the CRM refused in a run (the engine counts them apart). */
const failedWrites = (c: Record<string, number>): number => (c.failed ?? 0) + (c.writeFailed ?? 0) + (c.taskFailed ?? 0);

/** What went wrong in a run: run-level errors, then each record turned away or cleaned, by id. */
function runProblems(r: SyncRunView) {
  const record = (x: { recordId: string | null; row?: number }) =>
    html`${x.recordId ?? '—'}${x.row !== undefined ? html` <span class="small muted">line ${x.row}</span>` : ''}`;
  return html`<tr><td colspan="10"><details><summary>${r.errors.length} errors, ${r.rejected.length} rejected records${r.cleaned.length ? `, ${r.cleaned.length} cleaned fields` : ''}</summary>
      ${r.errors.length ? html`<ul>${r.errors.map((e) => html`<li>${e.step ? `${e.step}: ` : ''}${e.code ? html`<code>${e.code}</code> ` : ''}${e.message}</li>`)}</ul>` : ''}
      ${r.rejected.length ? html`<table><caption>Rejected: the rest of the run went on without these</caption><thead><tr><th>Step</th><th>Record</th><th>Field</th><th>Reason</th></tr></thead><tbody>${r.rejected.map((x) => html`<tr><td>${x.step}</td><td>${record(x)}</td><td>${x.field ?? '—'}</td><td>${x.reason}</td></tr>`)}</tbody></table>` : ''}
      ${r.cleaned.length ? html`<table><caption>Stored with text cleaned so the database could hold it</caption><thead><tr><th>Record</th><th>Field</th><th>Change</th></tr></thead><tbody>${r.cleaned.map((x) => html`<tr><td>${record(x)}</td><td>${x.field}</td><td>${x.reason}</td></tr>`)}</tbody></table>` : ''}
      </details></td></tr>`;
}

/** Sync: connection health, API usage against the CRM's limits, recent runs, "sync now". */
export function syncPage(s: ServerContext, router: Router): void {
  router.get(
    '/sync',
    pageRoute(s, async ({ p }) => {
      const [connections, runs, usage] = await Promise.all([
        s.app.store.connections.list(p.tenantId),
        attempt(() => s.deps.sync.runs(p.tenantId, 20)),
        attempt(async () => (s.deps.sync.apiUsage ? s.deps.sync.apiUsage(p.tenantId) : [])),
      ]);
      const admin = p.role === 'admin';
      const body = html`
<h2>Connections</h2>
${connections.length === 0 ? html`<p class="card">No CRM connected. ${admin ? html`<a href="/install">Connect Salesforce or HubSpot</a>.` : 'Ask an admin to connect one.'}</p>` : ''}
<table><thead><tr><th>CRM</th><th>Org / portal</th><th>Health</th><th>Last sync</th>${admin ? html`<th>Actions</th>` : ''}</tr></thead><tbody>
${connections.map(
  (
    c,
  ) => html`<tr data-connection="${c.id}"><td>${c.crm === 'hubspot' ? 'HubSpot' : c.crm === 'salesforce' ? 'Salesforce' : 'CSV'}</td><td>${c.accountId ?? '—'}<br><span class="small muted">${c.instanceUrl ?? ''}</span></td>
  <td class="status-${STATUS_TONE[c.status] ?? 'warn'}">${STATUS_WORDS[c.status] ?? c.status}${c.statusReason ? html`<br><span class="small">${c.statusReason}</span>` : ''}${c.pausedUntil ? html`<br><span class="small">until ${dateTime(c.pausedUntil)}</span>` : ''}</td>
  <td>${dateTime(c.lastSyncAt)}</td>
  ${
    admin
      ? html`<td>${c.crm !== 'csv' ? html`<a class="button secondary" href="/oauth/${c.crm}/start?purpose=install&connection=${c.id}&env=${String(c.settings.environment ?? 'production')}">Re-authorize</a>` : ''}
      ${c.status !== 'disconnected' ? html`<form method="post" action="/connections/${c.id}/disconnect" class="inline">${csrfField(p)}<button class="danger" type="submit">Disconnect</button></form>` : ''}</td>`
      : ''
  }</tr>`,
)}</tbody></table>
${admin ? html`<form method="post" action="/sync/now" class="spaced">${csrfField(p)}<button type="submit">Sync now</button> <span class="small muted">Otherwise the worker syncs every hour.</span></form>` : ''}
<h2>API usage against the CRM's limits</h2>
${
  usage.ok && usage.value.length
    ? html`<table><thead><tr><th>Connection</th><th class="num">Used</th><th class="num">Limit</th><th>Window</th><th>Measured</th></tr></thead><tbody>${usage.value.map(
        (
          u,
        ) => html`<tr><td>${u.crm} ${u.connectionId.slice(0, 8)}</td><td class="num">${u.used ?? '—'}</td><td class="num">${u.limit ?? '—'}</td><td>${u.window}</td><td>${dateTime(u.at)}</td></tr>
      ${u.used !== null && u.limit ? html`<tr><td colspan="5"><progress max="${u.limit}" value="${u.used}" aria-label="API usage">${num((100 * u.used) / u.limit, 0)}%</progress> ${num((100 * u.used) / u.limit, 1)}% used</td></tr>` : ''}
      ${u.changePoll ? html`<tr><td colspan="5" class="small">Real-time change poll, last 24 h: ${num(u.changePoll.polls, 0)} polls, ${num(u.changePoll.calls, 0)} API calls (made between runs, so on no run record below; counted in the 24 h budget).</td></tr>` : ''}`,
      )}</tbody></table>`
    : html`<p class="muted">${usage.ok ? 'No usage reported yet (it is read from the CRM on each sync).' : usage.message}</p>`
}
<h2>Recent runs</h2>
${
  !runs.ok
    ? html`<p class="card">${runs.message}</p>`
    : runs.value.length === 0
      ? html`<p class="muted">No run yet.</p>`
      : html`<table><thead><tr><th>Started</th><th>Trigger</th><th>Status</th><th class="num">Fetched</th><th class="num">Rejected</th><th class="num">Scored</th><th class="num">Written</th><th class="num">Failed</th><th class="num">API calls</th><th class="num">Duration</th></tr></thead><tbody>
${runs.value.map(
  (
    r,
  ) => html`<tr><td>${dateTime(r.startedAt)}</td><td>${r.trigger}</td><td>${r.status}</td><td class="num">${r.counts.fetched ?? 0}</td><td class="num">${r.counts.rejected ?? 0}</td><td class="num">${r.counts.scored ?? 0}</td><td class="num">${r.counts.written ?? 0}</td><td class="num">${failedWrites(r.counts)}</td><td class="num">${r.apiCalls}</td><td class="num">${r.durationMs !== null ? `${num(r.durationMs / 1000, 1)} s` : '—'}</td></tr>
  ${r.errors.length || r.rejected.length || r.cleaned.length ? runProblems(r) : ''}`,
)}</tbody></table>`
}`;
      return { title: 'Sync', active: '/sync', body };
    }),
  );

  router.post(
    '/sync/now',
    pageRoute(s, async ({ res, p }) => {
      assertAdmin(p);
      const r = await s.deps.sync.requestSync(p.tenantId, p.label);
      await s.app.store.audit.add(p.tenantId, { actor: p.label, action: 'sync.requested' }, s.app.now());
      redirectWith(res, '/sync', 'ok', r.message);
    }),
  );

  router.post(
    '/connections/:id/disconnect',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const id = String(req.params.id);
      const c = await s.app.store.connections.get(p.tenantId, id);
      if (!c) throw new AppError('not_found', 'no such connection in this workspace');
      const provider = c.crm === 'salesforce' || c.crm === 'hubspot' ? s.deps.oauth[c.crm] : undefined;
      const creds = await s.app.store.connections.loadCredentials(p.tenantId, id);
      let revoked = false;
      if (provider?.revoke && creds) {
        try {
          await provider.revoke(creds);
          revoked = true;
        } catch (e) {
          s.app.logger.warn('token revoke failed; the connection is closed anyway', { tenantId: p.tenantId, connectionId: id, error: e });
        }
      }
      await s.app.store.connections.disconnect(p.tenantId, id, `disconnected by ${p.label}`, s.app.now());
      await s.app.store.audit.add(
        p.tenantId,
        { actor: p.label, action: 'connection.disconnected', target: id, details: { crm: c.crm, revoked } },
        s.app.now(),
      );
      redirectWith(
        res,
        '/sync',
        'ok',
        `Disconnected; tokens deleted${revoked ? ' and revoked at the CRM' : ''}. Deals and scores stay for the record.`,
      );
    }),
  );
}
