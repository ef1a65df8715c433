import type { Principal } from '../auth/principal.ts';
import type { SandboxInfo } from '../deps.ts';
import { html, raw, type SafeHtml } from '../http/html.ts';

export interface PageOptions {
  title: string;
  principal?: Principal | undefined;
  tenantName?: string | undefined;
  sandbox?: SandboxInfo | null | undefined;
  /** The nav entry to mark as current. */
  active?: string;
  /** Load Chart.js and our chart drawing (pages with charts only). */
  charts?: boolean;
  flash?: { kind: 'ok' | 'error'; text: string } | null;
}

const NAV: Array<[string, string, boolean]> = [
  ['/', 'Overview', false],
  ['/deals', 'Deals needing attention', false],
  ['/forecast', 'Forecast', false],
  ['/actions', 'Actions', false],
  ['/diagnostics', 'Diagnostics', false],
  ['/model', 'Model', false],
  ['/sync', 'Sync', false],
  ['/settings', 'Settings', false],
  ['/audit', 'Audit log', true],
];

/** The page shell: header with the workspace and the person, navigation, the sandbox banner. */
export function page(o: PageOptions, body: SafeHtml): string {
  const p = o.principal;
  const nav = p
    ? html`<nav aria-label="Main"><ul>${NAV.filter(([, , adminOnly]) => !adminOnly || p.role === 'admin').map(
        ([href, label]) => html`<li><a href="${href}"${o.active === href ? raw(' aria-current="page"') : ''}>${label}</a></li>`,
      )}</ul></nav>`
    : '';
  const who = p
    ? html`<div class="who"><span>${p.label}</span> <span class="badge">${p.role}</span>
        <form method="post" action="/signout" class="inline"><input type="hidden" name="_csrf" value="${p.csrfToken ?? ''}"><button type="submit" class="link">Sign out</button></form></div>`
    : html`<div class="who"><a href="/signin">Sign in</a> · <a href="/install">Install</a></div>`;
  const banner = o.sandbox
    ? html`<div class="sandbox" role="status">Running against the built-in <strong>sandbox CRM</strong> (${o.sandbox.url}${
        o.sandbox.deals ? `, ${o.sandbox.deals} generated deals` : ''
      }): no real Salesforce or HubSpot data is involved.</div>`
    : '';
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · dealrisk</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/app.css">
${o.charts ? html`<script src="/static/vendor/chart.umd.min.js" defer></script><script src="/static/charts.js" defer></script>` : ''}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
${banner}
<header class="top">
  <a class="brand" href="/">dealrisk</a>${o.tenantName ? html`<span class="tenant">${o.tenantName}</span>` : ''}
  ${who}
</header>
${nav}
<main id="main">
${o.flash ? html`<p class="flash ${o.flash.kind}" role="${o.flash.kind === 'error' ? 'alert' : 'status'}">${o.flash.text}</p>` : ''}
<h1>${o.title}</h1>
${body}
</main>
</body>
</html>`;
  return doc.value;
}

/** A form's hidden CSRF field. */
export const csrfField = (p: Principal): SafeHtml => html`<input type="hidden" name="_csrf" value="${p.csrfToken ?? ''}">`;

/** Error page for browsers (the API answers JSON). */
export function errorPage(status: number, body: { error: string; message: string }): string {
  const title =
    status === 404
      ? 'Not found'
      : status === 401
        ? 'Please sign in'
        : status === 403
          ? 'Not allowed'
          : status === 429
            ? 'Slow down'
            : 'Something went wrong';
  return page(
    { title },
    html`<p>${body.message}</p><p class="muted">Code: <code>${body.error}</code> (HTTP ${status})</p>
      <p>${status === 401 ? html`<a href="/signin">Sign in</a>` : html`<a href="/">Back to the overview</a>`}</p>`,
  );
}
