/** Pure parsers for raw CRM/CSV values. Each returns a value or throws a short reason string. */

export class ParseFailure extends Error {}

const fail = (reason: string): never => {
  throw new ParseFailure(reason);
};

const CURRENCY_AFFIX = /^(?:[$€£¥₹]|[A-Z]{3})\s*|\s*(?:[$€£¥₹]|[A-Z]{3})$/g;

/** `$1,234.50`, `€ 1.234,50` (decimal ','), `(500)`, `12k` is not accepted: we do not guess. */
export function parseNumber(raw: unknown, decimal: '.' | ',' = '.'): number {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : fail(`not a finite number: ${raw}`);
  if (typeof raw === 'boolean') return fail(`expected a number, got boolean ${raw}`);
  const s = String(raw).trim();
  let t = s;
  let negative = false;
  if (/^\(.*\)$/.test(t)) {
    negative = true;
    t = t.slice(1, -1);
  }
  // Currency symbols and ISO codes around the number ($, €, USD ...), nothing else.
  t = t.replace(CURRENCY_AFFIX, '').replace(/\s/g, '');
  const thousands = decimal === '.' ? ',' : '.';
  t = t.split(thousands).join('');
  if (decimal === ',') t = t.replace(',', '.');
  if (!/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return fail(`not a number: "${s}"`);
  const n = Number(t);
  return negative ? -n : n;
}

const TOKEN = /yyyy|MM|dd|HH|mm|ss|M|d/g;
const formatCache = new Map<string, { re: RegExp; keys: string[] }>();

function compileFormat(format: string): { re: RegExp; keys: string[] } {
  let hit = formatCache.get(format);
  if (hit) return hit;
  const keys: string[] = [];
  const body = format
    .split(TOKEN)
    .map((lit) => lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const tokens = format.match(TOKEN) ?? [];
  let src = '';
  body.forEach((lit, i) => {
    src += lit;
    const tok = tokens[i];
    if (!tok) return;
    keys.push(tok);
    src += tok === 'yyyy' ? '(\\d{4})' : tok.length === 2 ? '(\\d{2})' : '(\\d{1,2})';
  });
  hit = { re: new RegExp(`^${src}$`), keys };
  formatCache.set(format, hit);
  return hit;
}

function fromParts(parts: Record<string, number>, raw: string): Date {
  const y = parts.yyyy;
  const mo = parts.MM ?? parts.M;
  const d = parts.dd ?? parts.d;
  if (y === undefined || mo === undefined || d === undefined) fail(`incomplete date: "${raw}"`);
  const date = new Date(Date.UTC(y!, mo! - 1, d!, parts.HH ?? 0, parts.mm ?? 0, parts.ss ?? 0));
  if (date.getUTCMonth() !== mo! - 1 || date.getUTCDate() !== d!) fail(`no such date: "${raw}"`);
  return date;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Dates arrive as ISO 8601 (Salesforce writes offsets as `+0000`), plain `yyyy-MM-dd`
 * (taken as UTC midnight), epoch milliseconds (HubSpot), or one of the mapping's formats.
 */
export function parseDate(raw: unknown, formats: readonly string[] = []): Date {
  if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? fail('invalid date') : raw;
  if (typeof raw === 'number') return epoch(raw, String(raw));
  const s = String(raw).trim();
  if (/^\d{11,14}$/.test(s)) return epoch(Number(s), s);
  const m = ISO.exec(s);
  if (m) {
    const [, y, mo, d, hh, mi, ss, frac, tz] = m;
    const base = fromParts({ yyyy: +y!, MM: +mo!, dd: +d! }, s);
    if (hh === undefined) return base;
    const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
    let t = base.getTime() + ((+hh * 60 + +mi!) * 60 + +(ss ?? 0)) * 1000 + ms;
    if (tz && tz !== 'Z') {
      const sign = tz.startsWith('-') ? -1 : 1;
      const digits = tz.slice(1).replace(':', '');
      t -= sign * (+digits.slice(0, 2) * 60 + +digits.slice(2, 4)) * 60_000;
    }
    return new Date(t);
  }
  for (const f of formats) {
    const { re, keys } = compileFormat(f);
    const fm = re.exec(s);
    if (!fm) continue;
    const parts: Record<string, number> = {};
    keys.forEach((k, i) => (parts[k] = Number(fm[i + 1])));
    return fromParts(parts, s);
  }
  return fail(`not a date${formats.length ? ` in ${formats.join(' or ')}` : ''}: "${s}"`);
}

function epoch(ms: number, raw: string): Date {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? fail(`not a timestamp: "${raw}"`) : d;
}

export function parseBoolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'n', '0'].includes(s)) return false;
  return fail(`not a boolean: "${String(raw)}"`);
}

export const isBlank = (v: unknown): boolean =>
  v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
