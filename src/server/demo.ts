import { AppError } from '../core/errors.ts';
import type { Crm } from './deps.ts';

/**
 * The embedded demo (`npm start` without CRM credentials) connects a tenant to each sandbox CRM
 * through the very flow an admin clicks through: our /oauth/<crm>/start, the sandbox's consent
 * page (its form, approved), our callback. Only for the sandbox: a real CRM's consent page is for
 * a person to read.
 */
export async function connectSandboxDemo(webUrl: string, crm: Crm, fetchImpl: typeof fetch = fetch): Promise<{ landedOn: string }> {
  const jar = new Map<string, string>();
  const call = async (url: string, init: RequestInit = {}): Promise<Response> => {
    const res = await fetchImpl(url, {
      ...init,
      redirect: 'manual',
      headers: { ...(init.headers as Record<string, string>), cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return res;
  };
  const location = (res: Response, step: string): string => {
    const to = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !to)
      throw new AppError('internal', `demo install (${crm}): ${step} answered ${res.status} instead of a redirect`);
    return new URL(to, res.url || webUrl).toString();
  };
  /** One OAuth round: our start, the sandbox's consent form approved, our callback. */
  const flow = async (purpose: 'install' | 'signin'): Promise<Response> => {
    const consentUrl = location(await call(`${webUrl}/oauth/${crm}/start?purpose=${purpose}`), 'start');
    const page = await (await call(consentUrl)).text();
    const form = /<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/i.exec(page);
    if (!form) throw new AppError('internal', `demo install (${crm}): no consent form at ${consentUrl}`);
    const fields = new URLSearchParams();
    for (const m of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g))
      fields.set(unescapeHtml(m[1]!), unescapeHtml(m[2]!));
    fields.set('decision', 'allow');
    const decided = await call(new URL(unescapeHtml(form[1]!), consentUrl).toString(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: fields.toString(),
    });
    return call(location(decided, 'consent'));
  };
  let landed = await flow('install');
  if (landed.status === 403) {
    // Installed on an earlier start: only its admin may re-authorize, so sign in as that admin
    // first (the sandbox restarts with new tokens, so the stored ones must be replaced).
    location(await flow('signin'), 'sign-in');
    landed = await flow('install');
  }
  const to = location(landed, 'callback');
  if (!/\?done=/.test(to)) throw new AppError('internal', `demo install (${crm}) did not complete: sent to ${to}`);
  return { landedOn: to };
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
const unescapeHtml = (s: string): string => s.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m);
