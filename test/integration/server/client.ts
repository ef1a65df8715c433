/** A minimal browser for tests: keeps cookies, does not follow redirects, reads CSRF tokens. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      const k = pair!.slice(0, eq);
      const v = pair!.slice(eq + 1);
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(c) || v === '') this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
  }

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const res = await fetch(new URL(path, this.base), {
      method,
      redirect: 'manual',
      headers: { cookie: this.cookieHeader(), accept: 'text/html', ...(init.headers ?? {}) },
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
    this.keep(res);
    return res;
  }

  get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request('GET', path, { headers });
  }

  /** Posts a form with the CSRF token of the page it came from (fetched when not given). */
  async post(path: string, form: Record<string, string> = {}, opts: { csrfFrom?: string; noCsrf?: boolean } = {}): Promise<Response> {
    const body = new URLSearchParams(form);
    if (!opts.noCsrf && !body.has('_csrf')) body.set('_csrf', await this.csrf(opts.csrfFrom ?? '/settings'));
    return this.request('POST', path, { body: body.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  async csrf(from: string): Promise<string> {
    const html = await (await this.get(from)).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error(`no CSRF token on ${from}`);
    return m[1]!;
  }

  /** Runs an OAuth flow against the fake provider: start → (CRM) → callback. */
  async oauth(
    crm: 'salesforce' | 'hubspot',
    purpose: 'install' | 'signin',
    who: { org: string; user: string; name?: string },
    extra = '',
  ): Promise<Response> {
    const start = await this.get(`/oauth/${crm}/start?purpose=${purpose}${extra}`);
    if (start.status !== 303) return start;
    const to = new URL(start.headers.get('location')!);
    const state = to.searchParams.get('state')!;
    const code = `org:${who.org}|user:${who.user}${who.name ? `|name:${who.name}` : ''}`;
    return this.get(`/oauth/${crm}/callback?state=${encodeURIComponent(state)}&code=${encodeURIComponent(code)}`);
  }
}

/** JSON API calls with a key. */
export async function api(
  base: string,
  method: string,
  path: string,
  key: string | null,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(new URL(path, base), {
    method,
    redirect: 'manual',
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
