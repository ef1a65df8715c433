import { parse as parseYaml } from 'yaml';
import type { Sandbox } from '../../../sandbox/index.ts';
import { silentLogger } from '../../../src/log.ts';
import { resolveMapping } from '../../../src/mapping/resolve.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';
import { sandboxOAuthProviders } from '../../../src/server/adapters/oauth.ts';
import { connectSandboxDemo } from '../../../src/server/demo.ts';
import { makeConnector } from '../../../src/sync/make-connector.ts';
import { Browser } from './client.ts';
import { NOW, startTestWeb, type Web } from './harness.ts';

/**
 * The web app wired to the sandbox CRM as `npm start` wires it: its OAuth clients in the
 * environment. `more` adds to the options (e.g. the real scoring service).
 */
export function startSandboxWeb(
  sb: Sandbox,
  more: Omit<NonNullable<Parameters<typeof startTestWeb>[0]>, 'oauth' | 'sandbox' | 'env'> = {},
): Promise<Web> {
  return startTestWeb({
    ...more,
    oauth: sandboxOAuthProviders(sb, silentLogger()),
    sandbox: { url: sb.url },
    env: {
      SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
      SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
      SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
      HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
      HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
    },
  });
}

/** Connects a sandbox CRM through the install flow; the admin's session lands in the returned browser. */
export async function connectAsAdmin(w: Web, crm: 'salesforce' | 'hubspot'): Promise<Browser> {
  const b = new Browser(w.url);
  await connectSandboxDemo(w.url, crm, async (url, init) => {
    const res = await fetch(url, init);
    if (String(url).startsWith(w.url)) {
      for (const c of res.headers.getSetCookie()) {
        const [pair] = c.split(';');
        const eq = pair!.indexOf('=');
        b.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
      }
    }
    return res;
  });
  return b;
}

/** A first sync's records, mapped with the tenant's mapping and stored with their raw data, as the sync engine does. */
export async function storeFirstSync(w: Web, tenantId: string, crm: 'salesforce' | 'hubspot'): Promise<number> {
  const [connection] = (await w.t.store.connections.list(tenantId)).filter((c) => c.crm === crm);
  const connector = await makeConnector(w.ctx, connection!);
  const map = compileMapping(await resolveMapping(w.t.store, tenantId, crm));
  let n = 0;
  for await (const page of connector.fetchChanges({ cursor: null })) {
    const writes = [];
    for (const r of page.records) {
      const m = map(r, { tenantId, source: crm });
      if (m.ok) writes.push({ deal: m.deal, raw: r.data, connectionId: connection!.id });
    }
    await w.t.store.deals.upsertMany(tenantId, writes, NOW);
    n += writes.length;
  }
  return n;
}

/** The mapping form's controls as a browser would post them: every named input, select and textarea. */
export function formControls(page: string, formId = 'mapping-form'): Array<[string, string]> {
  const start = page.indexOf(`id="${formId}"`);
  const form = page.slice(page.lastIndexOf('<form', start), page.indexOf('</form>', start));
  const unescapeHtml = (s: string) =>
    s
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
  const out: Array<[string, string]> = [];
  for (const m of form.matchAll(/<(input|select|textarea)\b([^>]*)>([\s\S]*?)(?=<(?:input|select|textarea)\b|$)/g)) {
    const [, tag, attrs, rest] = m;
    const name = /\sname="([^"]*)"/.exec(attrs!)?.[1];
    if (!name || /\sdisabled\b/.test(attrs!)) continue;
    if (tag === 'input') {
      const type = /\stype="([^"]*)"/.exec(attrs!)?.[1] ?? 'text';
      if (type === 'checkbox' && !/\schecked\b/.test(attrs!)) continue;
      out.push([unescapeHtml(name), unescapeHtml(/\svalue="([^"]*)"/.exec(attrs!)?.[1] ?? '')]);
    } else if (tag === 'textarea') {
      out.push([unescapeHtml(name), unescapeHtml(rest!.slice(0, rest!.indexOf('</textarea>')))]);
    } else {
      const body = rest!.slice(0, rest!.indexOf('</select>'));
      const options = [...body.matchAll(/<option value="([^"]*)"([^>]*)>/g)];
      const chosen = options.find((o) => /\sselected\b/.test(o[2]!)) ?? options[0];
      out.push([unescapeHtml(name), unescapeHtml(chosen?.[1] ?? '')]);
    }
  }
  return out;
}

/** Sets a control's value(s) in a list of form controls (the first `index`th control of that name). */
export function setControl(controls: Array<[string, string]>, name: string, value: string, index = 0): Array<[string, string]> {
  let seen = -1;
  const out = controls.map(([n, v]): [string, string] => (n === name && ++seen === index ? [n, value] : [n, v]));
  if (seen < index) throw new Error(`no control ${name} #${index} in the form`);
  return out;
}

/** The YAML view's text on a settings page. */
export function yamlOf(page: string): unknown {
  const m = /<textarea id="mapping-text"[^>]*>([\s\S]*?)<\/textarea>/.exec(page);
  if (!m) throw new Error('no YAML view on the page');
  return parseYaml(
    m[1]!
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
}

/** Posts form controls (repeated names kept) with the session. */
export function postControls(b: Browser, path: string, controls: Array<[string, string]>): Promise<Response> {
  const body = new URLSearchParams();
  for (const [n, v] of controls) body.append(n, v);
  return b.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
}
