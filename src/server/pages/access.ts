import type { Router } from 'express';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import type { Crm } from '../deps.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { q1 } from './common.ts';
import { page } from './layout.ts';

const NAMES: Record<Crm, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

/** Only same-site paths may be a post-sign-in destination (no open redirect). */
export const safeNext = (v: unknown): string => {
  const s = q1(v);
  return s?.startsWith('/') && !s.startsWith('//') && !s.startsWith('/\\') ? s : '/';
};

function notConfigured(crm: Crm): SafeHtml {
  return html`<p class="muted small">${NAMES[crm]} is not configured on this server (set ${crm === 'salesforce' ? 'SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET' : 'HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET'}).</p>`;
}

/** Install and sign-in pages: public, they start the OAuth flows. */
export function accessPages(s: ServerContext, router: Router): void {
  const opts = (title: string, p?: Principal) => ({ title, sandbox: s.deps.sandbox, principal: p?.kind === 'user' ? p : undefined });
  router.get('/install', (_req, res) => {
    const p = res.locals.principal as Principal | undefined;
    const sf = s.deps.oauth.salesforce;
    const hs = s.deps.oauth.hubspot;
    const body = html`<p>Connect your CRM. You sign in at Salesforce or HubSpot and approve access; dealrisk then syncs your opportunities every hour,
scores every open deal and writes the risk back to it. Whoever installs becomes the workspace's first admin.</p>
<div class="install">
  <section class="card"><h2>Salesforce</h2>
  ${
    sf
      ? html`<p><a class="button" id="connect-salesforce" href="/oauth/salesforce/start?purpose=install&env=production">Connect Salesforce</a></p>
      <p><a id="connect-salesforce-sandbox" href="/oauth/salesforce/start?purpose=install&env=sandbox">Connect a Salesforce sandbox org</a> <span class="small muted">(test.salesforce.com)</span></p>
      <p class="small muted">Needs an External Client App with the <code>api refresh_token</code> scopes; see the README.</p>`
      : notConfigured('salesforce')
  }
  </section>
  <section class="card"><h2>HubSpot</h2>
  ${
    hs
      ? html`<p><a class="button" id="connect-hubspot" href="/oauth/hubspot/start?purpose=install">Connect HubSpot</a></p>
      <p class="small muted">A super admin of the portal approves the app's scopes (deals, deal properties, owners, tasks).</p>`
      : notConfigured('hubspot')
  }
  </section>
</div>
<p>Already installed? <a href="/signin">Sign in</a>.</p>`;
    res.type('html').send(page(opts('Install dealrisk', p), body));
  });

  router.get('/signin', (req, res) => {
    const next = safeNext(req.query.next);
    const p = res.locals.principal as Principal | undefined;
    const buttons = (['salesforce', 'hubspot'] as const)
      .filter((c) => s.deps.oauth[c])
      .map(
        (c) =>
          html`<p><a class="button" id="signin-${c}" href="/oauth/${c}/start?purpose=signin&next=${encodeURIComponent(next)}">Sign in with ${NAMES[c]}</a></p>`,
      );
    const body = html`${p?.kind === 'user' ? html`<p class="card">You are signed in as ${p.label}. <a href="/">Go to the overview</a>.</p>` : ''}
<p>Sign in with the CRM account you use at work. You will see the workspace of your Salesforce org or HubSpot portal, and nothing else.</p>
${buttons.length ? buttons : html`<p class="muted">No CRM is configured on this server.</p>`}
${s.deps.oauth.salesforce ? html`<p class="small">Salesforce sandbox org? <a href="/oauth/salesforce/start?purpose=signin&env=sandbox&next=${encodeURIComponent(next)}">Sign in through test.salesforce.com</a>.</p>` : ''}
<p class="small muted">Your CRM is not connected yet? <a href="/install">Install dealrisk</a>.</p>`;
    res.type('html').send(page(opts('Sign in', p), body));
  });
}
