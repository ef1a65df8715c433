/** Pure parsers for raw CRM/CSV values. Each returns a value or throws a short reason string. */
import { compileDateParser, type DateParser } from './dates.ts';
import { ParseFailure } from './parse-failure.ts';

export { ParseFailure };

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

const parsers = new Map<string, DateParser>();

/**
 * Reads a date: ISO 8601 (Salesforce writes offsets as `+0000`), plain `yyyy-MM-dd` (00:00 UTC),
 * epoch milliseconds (HubSpot), or one of `formats` (see dates.ts). Compiled parsers are cached
 * by their options; the mapper compiles its own per field.
 */
export function parseDate(raw: unknown, formats: readonly string[] = [], timezone?: string): Date {
  const key = `${timezone ?? ''}\n${formats.join('\n')}`;
  let parse = parsers.get(key);
  if (!parse) {
    parse = compileDateParser({ formats, ...(timezone ? { timezone } : {}) });
    parsers.set(key, parse);
  }
  return parse(raw);
}

export function parseBoolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).trim().toLowerCase();
  if (['true', 'yes', 'y', '1'].includes(s)) return true;
  if (['false', 'no', 'n', '0'].includes(s)) return false;
  return fail(`not a boolean: "${String(raw)}"`);
}

export const isBlank = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
