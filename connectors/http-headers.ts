/** Response headers as the CRM SDKs and fetch hand them over: a `Headers`, or a plain object in any key case. */
export type HeaderBag = Headers | Record<string, string | string[] | undefined> | undefined | null;

/** One header, case-insensitively, from either shape (the first value of a repeated one). */
export function header(headers: HeaderBag, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (k.toLowerCase() === wanted) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/**
 * How long `Retry-After` asks to wait (RFC 9110 §10.2.3: delay-seconds or an HTTP-date, counted
 * from `now`); undefined when the header is absent or is neither, so the caller's default applies.
 */
export function retryAfterMs(headers: HeaderBag, now: Date = new Date()): number | undefined {
  const raw = header(headers, 'retry-after')?.trim();
  if (!raw) return undefined;
  // Some servers send a fraction or a negative number; a negative one says nothing usable.
  if (/^[-+]?\d+(\.\d+)?$/.test(raw)) return Number(raw) >= 0 ? Number(raw) * 1000 : undefined;
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
