import { DateTime, FixedOffsetZone, IANAZone, Info, type Zone } from 'luxon';
import { ParseFailure } from './parse-failure.ts';

/**
 * Dates in mappings: ISO 8601 and epoch milliseconds always, then the field's `formats` in order.
 * Formats use luxon's parse tokens (https://moment.github.io/luxon/#/parsing?id=table-of-tokens);
 * `excel` and `excel1904` read spreadsheet serial numbers. Month names are English.
 */

/** Spreadsheet serial numbers: days since 1899-12-30 (Excel's 1900 system) or since 1904-01-01. */
export const EXCEL_FORMATS = ['excel', 'excel1904'] as const;

/** Two-digit years (`yy`): luxon's cutoff. 00-60 are 2000-2060, 61-99 are 1961-1999. */
export const TWO_DIGIT_YEAR_CUTOFF = 60;

/** luxon's parse tokens this mapping language accepts; anything else made of letters is refused. */
const TOKENS: Record<string, string> = {
  y: 'year, any number of digits',
  yy: 'two-digit year',
  yyyy: 'four-digit year',
  yyyyy: 'four- to six-digit year',
  yyyyyy: 'six-digit year',
  M: 'month',
  MM: 'month, two digits',
  MMM: 'month abbreviation (Mar)',
  MMMM: 'month name (March)',
  L: 'month',
  LL: 'month, two digits',
  LLL: 'month abbreviation',
  LLLL: 'month name',
  d: 'day of the month',
  dd: 'day of the month, two digits',
  o: 'day of the year',
  ooo: 'day of the year, three digits',
  E: 'weekday number',
  EEE: 'weekday abbreviation',
  EEEE: 'weekday name',
  c: 'weekday number',
  ccc: 'weekday abbreviation',
  cccc: 'weekday name',
  H: 'hour 0-23',
  HH: 'hour 00-23',
  h: 'hour 1-12',
  hh: 'hour 01-12',
  a: 'AM/PM',
  m: 'minute',
  mm: 'minute, two digits',
  s: 'second',
  ss: 'second, two digits',
  S: 'millisecond',
  SSS: 'millisecond, three digits',
  u: 'fraction of a second',
  Z: 'offset (+5)',
  ZZ: 'offset (+05:00)',
  ZZZ: 'offset (+0500)',
  z: 'IANA zone name',
  G: 'era (AD)',
  GG: 'era (Anno Domini)',
};
const TIME_TOKENS = new Set(['H', 'HH', 'h', 'hh', 'a', 'm', 'mm', 's', 'ss', 'S', 'SSS', 'u']);
const YEAR_TOKENS = new Set(['y', 'yy', 'yyyy', 'yyyyy', 'yyyyyy']);
const MONTH_TOKENS = new Set(['M', 'MM', 'MMM', 'MMMM', 'L', 'LL', 'LLL', 'LLLL']);
const HINTS: Record<string, string> = {
  Y: 'years are y, yy or yyyy',
  D: 'days of the month are d or dd',
  T: "quote letters meant literally: 'T'",
};

/** Splits a format the way luxon does: runs of one character are tokens, quoted text is literal. */
function tokensOf(format: string): Array<{ literal: boolean; val: string }> {
  const out: Array<{ literal: boolean; val: string }> = [];
  let quoted = false;
  let run = '';
  const flush = () => {
    if (run) out.push({ literal: quoted || !/[A-Za-z]/.test(run[0]!), val: run });
    run = '';
  };
  for (const c of format) {
    if (c === "'") {
      flush();
      quoted = !quoted;
    } else if (quoted || !run || c === run[0]) run += c;
    else {
      flush();
      run = c;
    }
  }
  flush();
  return out;
}

/**
 * Why a format cannot be used (an unknown token, no year, no day), or null when it can. Checked
 * when the mapping loads, so a typo stops start-up instead of silently matching nothing.
 */
export function formatProblem(format: string): string | null {
  if ((EXCEL_FORMATS as readonly string[]).includes(format)) return null;
  const tokens = tokensOf(format).filter((t) => !t.literal);
  for (const t of tokens) {
    if (!(t.val in TOKENS)) {
      const hint = HINTS[t.val[0]!];
      return `unknown token "${t.val}"${hint ? ` (${hint})` : ''}`;
    }
  }
  const has = (set: Set<string>) => tokens.some((t) => set.has(t.val));
  if (!has(YEAR_TOKENS)) return 'has no year (y, yy or yyyy)';
  const day =
    tokens.some((t) => t.val === 'o' || t.val === 'ooo') || (has(MONTH_TOKENS) && tokens.some((t) => t.val === 'd' || t.val === 'dd'));
  return day ? null : 'has no day (a month and d or dd, or a day of the year)';
}

/** Why a time zone name cannot be used, or null. */
export function timezoneProblem(zone: string): string | null {
  return Info.isValidIANAZone(zone) ? null : `unknown time zone "${zone}" (use an IANA name such as Europe/Paris or America/New_York)`;
}

export interface DateOptions {
  formats?: readonly string[];
  /** IANA zone for values with a time of day and no offset; UTC when absent. */
  timezone?: string;
}

/** Reads one raw value as a Date or throws a ParseFailure saying what was tried. */
export type DateParser = (raw: unknown) => Date;

const DAY_MS = 86_400_000;
const UTC = FixedOffsetZone.utcInstance;
const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
const EPOCH_MS = /^\d{11,14}$/;
const MEMO_SIZE = 10_000;
const SERIAL = /^\d{1,7}(?:\.\d+)?$/;
/** 9999-12-31 in Excel's 1900 system: any larger number is not a serial date. */
const MAX_SERIAL = 2_958_465;

const fail = (reason: string): never => {
  throw new ParseFailure(reason);
};

const toDate = (dt: DateTime): Date | null => (dt.isValid ? dt.toJSDate() : null);

/**
 * A calendar day (no time of day) is that day at 00:00 UTC, whatever the zone: the core keeps
 * dates that way. A wall-clock time without an offset is read in the zone. An offset or `Z`, and
 * epoch milliseconds, are exact instants.
 */
function fromWallClock(parts: { year: number; month: number; day: number; ms: number }, zone: Zone, hasTime: boolean): Date {
  const utc = new Date(Date.UTC(parts.year, parts.month - 1, parts.day) + parts.ms);
  if (!hasTime || zone === UTC) return utc;
  const local = DateTime.fromObject(
    {
      year: utc.getUTCFullYear(),
      month: utc.getUTCMonth() + 1,
      day: utc.getUTCDate(),
      hour: utc.getUTCHours(),
      minute: utc.getUTCMinutes(),
      second: utc.getUTCSeconds(),
      millisecond: utc.getUTCMilliseconds(),
    },
    { zone },
  );
  return local.toJSDate();
}

/** Excel serial days: 1900 system (with its fictitious 1900-02-29, serial 60) or 1904 system. */
function fromSerial(n: number, system: 'excel' | 'excel1904', raw: string, zone: Zone): Date {
  const whole = Math.floor(n);
  const ms = Math.round((n - whole) * DAY_MS);
  if (system === 'excel1904') return fromWallClock({ year: 1904, month: 1, day: 1 + whole, ms }, zone, ms !== 0);
  if (whole < 1) return fail(`not a date: Excel serial ${raw} is before 1900-01-01`);
  // Excel counts 1900 as a leap year (a Lotus 1-2-3 bug it kept): serial 60 is 1900-02-29, which
  // never existed, and serials from 61 on are one day ahead of a plain count from 1899-12-31.
  if (whole === 60) return fail(`no such date: Excel serial ${raw} is 1900-02-29, which did not exist`);
  return fromWallClock({ year: 1899, month: 12, day: whole < 60 ? 31 + whole : 30 + whole, ms }, zone, ms !== 0);
}

interface CompiledFormat {
  format: string;
  parse: (s: string) => Date | null | 'invalid';
}

function compileFormat(format: string, zone: Zone): CompiledFormat {
  if (format === 'excel' || format === 'excel1904') {
    return { format, parse: (s) => (SERIAL.test(s) && Number(s) <= MAX_SERIAL ? fromSerial(Number(s), format, s, zone) : null) };
  }
  const parser = DateTime.buildFormatParser(format, { locale: 'en-US' });
  const hasTime = tokensOf(format).some((t) => !t.literal && TIME_TOKENS.has(t.val));
  const opts = { zone: hasTime ? zone : UTC, locale: 'en-US' };
  return {
    format,
    parse: (s) => {
      const dt = DateTime.fromFormatParser(s, parser, opts);
      if (dt.isValid) return dt.toJSDate();
      return dt.invalidReason === 'unparsable' ? null : 'invalid';
    },
  };
}

/** Compiles a field's date options once; the parser is then called for every row. */
export function compileDateParser(opts: DateOptions = {}): DateParser {
  // Zone objects made once: luxon would otherwise look the name up for every value.
  const zone = opts.timezone ? IANAZone.create(opts.timezone) : UTC;
  const formats = (opts.formats ?? []).map((f) => compileFormat(f, zone));
  const serial = formats.find((f) => f.format === 'excel' || f.format === 'excel1904');
  const tried = formats.map((f) => f.format);
  // A file repeats its days thousands of times and luxon costs about 10 µs a value: each parser
  // remembers the instants of recent texts (a new Date each time: Dates are mutable).
  const memo = new Map<string, number>();
  return (raw) => {
    if (raw instanceof Date) return Number.isNaN(raw.getTime()) ? fail('invalid date') : raw;
    if (typeof raw === 'number') {
      const d = serial ? serial.parse(String(raw)) : null;
      return d instanceof Date ? d : epoch(raw, String(raw));
    }
    const s = String(raw).trim();
    const known = memo.get(s);
    if (known !== undefined) return new Date(known);
    const d = parseText(s);
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(s, d.getTime());
    return d;
  };

  function parseText(s: string): Date {
    if (EPOCH_MS.test(s)) return epoch(Number(s), s);
    const iso = ISO.exec(s);
    if (iso) {
      const [, day, time, offset] = iso;
      if (time && !offset && zone !== UTC) return toDate(DateTime.fromISO(`${day}T${time}`, { zone })) ?? fail(`no such date: "${s}"`);
      const ms = isoInstant(day!, time, offset);
      return ms === null ? fail(`no such date: "${s}"`) : new Date(ms);
    }
    let matched: string | null = null;
    for (const f of formats) {
      const d = f.parse(s);
      if (d instanceof Date) return d;
      if (d === 'invalid') matched ??= f.format;
    }
    if (matched) return fail(`no such date: "${s}" (read as ${matched})`);
    return fail(
      tried.length
        ? `not a date in ${tried.join(' or ')}: "${s}" (ISO 8601 and epoch milliseconds were tried first)`
        : `not a date: "${s}" (tried ISO 8601 and epoch milliseconds; the field's formats can name other spellings)`,
    );
  }
}

/**
 * An ISO 8601 value whose instant needs no time zone (a date, a UTC time, or a time with `Z` or
 * an offset), or null for a day or time that does not exist. Plain arithmetic: every CRM
 * timestamp takes this path, and luxon's fromISO measured 3 to 5 times slower on it (about 10-30
 * µs a value against 3-6 on a busy 2-core machine); luxon reads the formats and the zones.
 */
function isoInstant(day: string, time: string | undefined, offset: string | undefined): number | null {
  const y = +day.slice(0, 4);
  const mo = +day.slice(5, 7) - 1;
  const d = +day.slice(8, 10);
  // Not Date.UTC(y, …): it reads years 0-99 as 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(y, mo, d);
  const midnight = check.getTime();
  if (check.getUTCMonth() !== mo || check.getUTCDate() !== d) return null;
  if (!time) return midnight;
  const [hh, mm, sec = '0'] = time.replace(',', '.').split(':');
  if (+hh! > 23 || +mm! > 59 || +sec >= 60) return null;
  let ms = midnight + (+hh! * 60 + +mm!) * 60 * 1000 + Math.round(+sec * 1000);
  if (offset && offset.toUpperCase() !== 'Z') {
    const digits = offset.slice(1).replace(':', '');
    ms -= (offset[0] === '-' ? -1 : 1) * (+digits.slice(0, 2) * 60 + +(digits.slice(2, 4) || 0)) * 60_000;
  }
  return ms;
}

function epoch(ms: number, raw: string): Date {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? fail(`not a timestamp: "${raw}"`) : d;
}
