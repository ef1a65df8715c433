import { html } from './http/html.ts';
import type { SbResponse } from './http/types.ts';

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** A plain record page: what a rep would see in the CRM, risk fields first. */
export function recordPage(title: string, fields: Record<string, unknown>): SbResponse {
  const risky = (k: string) => /risk|probability|recommended/i.test(k);
  const rows = Object.entries(fields)
    .filter(([k]) => k !== 'attributes')
    .sort(([a], [b]) => Number(risky(b)) - Number(risky(a)))
    .map(
      ([k, v]) =>
        `<tr${risky(k) ? ' class="risk"' : ''}><th>${esc(k)}</th><td>${esc(typeof v === 'object' && v !== null ? JSON.stringify(v) : v)}</td></tr>`,
    )
    .join('');
  return html(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}th,td{padding:.25rem .75rem;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}tr.risk{background:#fff6e0}td{white-space:pre-wrap;max-width:50rem}</style>
</head><body><p>dealrisk sandbox CRM (not the real service)</p><h1>${esc(title)}</h1><table>${rows}</table></body></html>`,
  );
}

export function landingPage(o: { url: string; now: Date; crms: string[]; deals: number; seed: number }): SbResponse {
  return html(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>dealrisk sandbox CRM</title>
<style>body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .25rem}</style></head><body>
<h1>dealrisk sandbox CRM</h1>
<p>A local stand-in for Salesforce and HubSpot with generated deals (seed ${o.seed}, ${o.deals} deals per CRM). Sandbox time: ${esc(o.now.toISOString())}.</p>
<ul>
${o.crms.includes('salesforce') ? `<li>Salesforce: instance URL <code>${esc(o.url)}/sf</code>, login URL <code>${esc(o.url)}/sf</code></li>` : ''}
${o.crms.includes('hubspot') ? `<li>HubSpot: API base <code>${esc(o.url)}/hs</code>, install page <code>${esc(o.url)}/hs/oauth/authorize</code></li>` : ''}
<li>State and model: <a href="/_sandbox">/_sandbox</a>; advance the clock: <code>POST /_sandbox/advance {"hours":1}</code></li>
</ul></body></html>`,
  );
}
