import type { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { dateTime } from '../http/format.ts';
import { html } from '../http/html.ts';
import { assertAdmin, pageRoute } from './common.ts';

/** Admin actions and API-key use, newest first (admins only). */
export function auditPage(s: ServerContext, router: Router): void {
  router.get(
    '/audit',
    pageRoute(s, async ({ p }) => {
      assertAdmin(p);
      await s.audit.flush();
      const entries = await s.app.store.audit.list(p.tenantId, 200);
      const body = html`<p class="muted small">The latest 200 entries. API-key requests are recorded with their method, path and status.</p>
<table><thead><tr><th>When</th><th>Who</th><th>What</th><th>Target</th><th>Details</th></tr></thead><tbody>
${entries.map((e) => html`<tr><td>${dateTime(e.at)}</td><td>${e.actor}</td><td><code>${e.action}</code></td><td>${e.target ?? ''}</td><td class="small">${Object.keys(e.details).length ? JSON.stringify(e.details) : ''}</td></tr>`)}
</tbody></table>`;
      return { title: 'Audit log', active: '/audit', body };
    }),
  );
}
