import type { Router } from 'express';
import { z } from 'zod';
import { AppError, formatIssues } from '../../core/errors.ts';
import { isApiRead } from '../../store/repos/audit.ts';
import type { ServerContext } from '../context.ts';
import { dateTime } from '../http/format.ts';
import { html, raw } from '../http/html.ts';
import { assertAdmin, pageRoute, q1 } from './common.ts';

export const AUDIT_PAGE_SIZE = 100;

/** Actions the app records, offered in the filter (any other action name can be typed in). */
const KNOWN_ACTIONS = [
  'alerts.updated',
  'api.request',
  'api_key.created',
  'api_key.revoked',
  'connection.disconnected',
  'connection.installed',
  'connection.reauthorized',
  'connection.setup',
  'connection.setup_failed',
  'mapping.reset',
  'mapping.updated',
  'model.rolled_back',
  'playbook.updated',
  'sync.requested',
  'thresholds.updated',
  'user.role_changed',
  'user.signed_in',
  'user.signed_out',
];

const AuditFilter = z
  .object({
    action: z.string().max(100).optional(),
    actor: z.string().max(200).optional(),
    reads: z.literal('1').optional(),
    before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict();

/**
 * Admin actions and API-key use, newest first (admins only), a page at a time by keyset, so no
 * number of entries pushes older ones out of reach. API-key reads (GETs) are left out unless asked
 * for: a read-only key can make thousands, and they would bury every admin action.
 */
export function auditPage(s: ServerContext, router: Router): void {
  router.get(
    '/audit',
    pageRoute(s, async ({ req, p }) => {
      assertAdmin(p);
      const raw0 = req.query as Record<string, unknown>;
      const parsed = AuditFilter.safeParse(
        Object.fromEntries(['action', 'actor', 'reads', 'before'].map((k) => [k, q1(raw0[k])]).filter(([, v]) => v !== undefined)),
      );
      if (!parsed.success) throw new AppError('input_invalid', `invalid filter: ${formatIssues(parsed.error.issues)}`);
      const f = parsed.data;
      await s.audit.flush();
      const includeReads = f.reads === '1' || f.action === 'api.request';
      const { entries, nextBefore } = await s.app.store.audit.page(p.tenantId, {
        limit: AUDIT_PAGE_SIZE,
        includeReads,
        ...(f.before !== undefined ? { before: f.before } : {}),
        ...(f.action ? { action: f.action } : {}),
        ...(f.actor ? { actor: f.actor } : {}),
      });
      const link = (o: { before?: number }) => {
        const u = new URLSearchParams();
        if (f.action) u.set('action', f.action);
        if (f.actor) u.set('actor', f.actor);
        if (f.reads) u.set('reads', '1');
        if (o.before !== undefined) u.set('before', String(o.before));
        const qs = u.toString();
        return `/audit${qs ? `?${qs}` : ''}`;
      };
      const body = html`<form class="filters" method="get" action="/audit" aria-label="Filter the audit log">
  <div><label for="f-action">Action</label><input id="f-action" name="action" list="audit-actions" size="22" value="${f.action ?? ''}" placeholder="any"><datalist id="audit-actions">${KNOWN_ACTIONS.map((a) => html`<option value="${a}">`)}</datalist></div>
  <div><label for="f-actor">Who (contains)</label><input id="f-actor" name="actor" size="22" value="${f.actor ?? ''}" placeholder="a name, email or key"></div>
  <label class="check"><input type="checkbox" name="reads" value="1"${f.reads ? raw(' checked') : ''}> Include API-key reads</label>
  <button type="submit">Apply</button> <a href="/audit">Reset</a>
</form>
<p class="muted small">Newest first, ${AUDIT_PAGE_SIZE} a page. ${includeReads ? 'API-key reads are included.' : 'API-key reads (GET requests) are left out; tick “Include API-key reads” to see them.'} API-key requests are recorded with their method, path and status.</p>
${
  entries.length
    ? html`<table id="audit-entries"><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th></tr></thead><tbody>
${entries.map(
  (e) =>
    html`<tr data-id="${e.id}"${isApiRead(e) ? raw(' class="muted"') : ''}><td>${dateTime(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td>${e.target ?? ''}</td><td class="small">${Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</td></tr>`,
)}
</tbody></table>`
    : html`<p class="card">No entries match these filters.</p>`
}
<div class="pager">${f.before !== undefined ? html`<a href="${link({})}">← Newest</a>` : ''}${nextBefore !== null ? html` <a href="${link({ before: nextBefore })}" rel="next">Older →</a>` : ''}</div>`;
      return { title: 'Audit log', active: '/audit', body };
    }),
  );
}
