const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A consent page with Allow / Deny buttons that post the original parameters back. */
export function consentPage(opts: {
  title: string;
  app: string;
  scopes: string[];
  action: string;
  params: Record<string, string>;
}): string {
  const hidden = Object.entries(opts.params)
    .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
    .join('\n      ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}.note{color:#666;font-size:.9rem}</style>
</head><body>
  <h1>${esc(opts.title)}</h1>
  <p><strong>${esc(opts.app)}</strong> is asking to:</p>
  <ul>${opts.scopes.map((s) => `<li>${esc(s)}</li>`).join('')}</ul>
  <form method="post" action="${esc(opts.action)}">
      ${hidden}
      <button type="submit" name="decision" value="allow" id="allow">Allow</button>
      <button type="submit" name="decision" value="deny" id="deny">Deny</button>
  </form>
  <p class="note">This is the dealrisk sandbox CRM: a local stand-in, not the real service.</p>
</body></html>`;
}

export function errorPage(title: string, error: string, description: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head>
<body><h1>${esc(title)}</h1><p>error=${esc(error)}</p><p>error_description=${esc(description)}</p></body></html>`;
}

export const redirect = (location: string) => ({ status: 302, headers: { Location: location }, text: '' });
export const html = (status: number, text: string) => ({ status, text, contentType: 'text/html;charset=UTF-8' });
