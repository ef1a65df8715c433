import fc from 'fast-check';

/**
 * Hostile field values whose meaning the generator knows by construction, so a fuzz run can say
 * what must become of each record. Every value carries a verdict:
 * - `good`: valid for the canonical deal (it must land, with the value stated);
 * - `bad`: outside the deal's bounds (the record must be rejected naming the field);
 * - `odd`: garbage whose fate depends on who reads it first (the CRM may refuse it, normalise
 *   it or pass it on): the record may land or be rejected, but never silently vanish.
 */
export type Verdict = 'good' | 'bad' | 'odd';

/** The deal's plausible window (src/core/deal.ts), restated here so the test does not read it back from the code under test. */
export const FIRST_MS = Date.UTC(1970, 0, 1);
export const LAST_MS = Date.UTC(2099, 11, 31, 23, 59, 59, 999);
export const MAX_AMOUNT = 1e15;

const ch = (...codes: number[]) => String.fromCharCode(...codes);
const range = (from: number, to: number) => fc.integer({ min: from, max: to }).map((c) => ch(c));

/** Characters that break naive code: C0/C1 controls, NUL, lone surrogates, bidi and zero-width marks, odd spaces. */
const nasty = fc.oneof(
  fc.constant('\u0000'),
  range(0x01, 0x1f),
  fc.constant('\u007f'),
  range(0x80, 0x9f),
  range(0xd800, 0xdbff), // a lone high surrogate
  range(0xdc00, 0xdfff), // a lone low surrogate
  fc.constantFrom('\u202e', '\u202d', '\u200f', '\u200e', '\u2066', '\u2067', '\u2068', '\u2069', '\u061c'),
  fc.constantFrom('\u200b', '\u200c', '\u200d', '\u2060', '\ufeff'),
  fc.constantFrom('\u00a0', '\u2028', '\u2029', '\u3000', '\t', '\r\n', '\n', '\r', ' '),
  fc.constantFrom('\ufffd', '\ufffe', '\uffff', '\u{10ffff}', '\u{e0001}'),
);

/** Text people and tools really put in CRM fields: emoji sequences, other scripts, markup, quoting. */
const tricky = fc.constantFrom(
  '👩🏽‍💻',
  '🏳️‍🌈',
  '🇯🇵',
  '👍🏿',
  'é',
  'é',
  'ﬁ',
  'Ǆ',
  'ß',
  'İ',
  'שלום',
  'مرحبا',
  '日本語',
  '한국어',
  'Ελληνικά',
  'z̷̢͈a̵͖l̶g̸o',
  '"',
  "'",
  ',',
  ';',
  '\\',
  '\\u0000',
  '\\ud800',
  '%s',
  '%00',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal template placeholder is the hostile value.
  '${x}',
  '{{x}}',
  '<script>alert(1)</script>',
  '"; drop table deals; --',
  "' or 1=1 --",
  '__proto__',
  'constructor',
  'null',
  'undefined',
  'NaN',
  '-0',
  '=cmd|"/c calc"!A1',
  '+1',
  '@SUM(A1)',
);

const plain = fc.string({ unit: 'grapheme', maxLength: 12 });
const anyCodePoints = fc.string({ unit: 'binary', maxLength: 8 });

/** A short hostile string (a few dozen characters at most). */
export const hostileText: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: plain },
      { weight: 3, arbitrary: nasty },
      { weight: 2, arbitrary: tricky },
      { weight: 1, arbitrary: anyCodePoints },
    ),
    { maxLength: 8 },
  )
  .map((parts) => parts.join(''));

/** `chunk` repeated to about `length` UTF-16 units (a 1 MB field is one chunk written many times). */
export const longText = (length: number): fc.Arbitrary<string> =>
  hostileText.map((chunk) => {
    const unit = chunk.length ? chunk : 'x';
    return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
  });

/** Text for a free-text field: mostly short, now and then very long; `maxLength` is what the target can hold. */
export function fieldText(opts: { longest: number; huge?: number }): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 40, arbitrary: hostileText },
    { weight: 3, arbitrary: fc.constantFrom('', ' ', '\u0000', '\u00a0\u2028', '\ud800') },
    { weight: 1, arbitrary: longText(opts.longest) },
    ...(opts.huge ? [{ weight: 1, arbitrary: longText(opts.huge) }] : []),
  );
}

/**
 * What a text value becomes once stored: lone surrogates replaced (U+FFFD, as a UTF-8 encoder
 * writes them), then NUL removed, trimmed, blank → null. Written with the platform's own
 * `toWellFormed`, independently of src/core/storable-text.ts.
 */
export function storedText(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const t = wellFormed(raw).replaceAll('\u0000', '').trim();
  return t === '' ? null : t;
}

// Node 20 has String.prototype.toWellFormed (ES2024); the project's TypeScript lib stops at ES2023.
const wellFormed = (s: string): string => (s as unknown as { toWellFormed(): string }).toWellFormed();

// ---- numbers ---------------------------------------------------------------------------

/** A number by construction: its value, and `text` when it is not a plain decimal. */
export type NumberValue = { kind: 'number'; value: number } | { kind: 'blank' } | { kind: 'garbage'; text: string };

const goodAmounts = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 10_000_000 }) },
  { weight: 3, arbitrary: fc.double({ min: 0, max: MAX_AMOUNT, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, MAX_AMOUNT, 0.01, 1e-7, 123456789.123, 999_999_999_999_999) },
);
const badAmounts = fc.oneof(
  fc.double({ min: -1e300, max: -0.01, noNaN: true }),
  fc.double({ min: 1.000001e15, max: 1e308, noNaN: true }),
  fc.constantFrom(-1, -5e300, 1e308, -Number.MAX_VALUE, Number.MAX_VALUE, 1e16, -0.5),
);
const garbageNumbers = fc.constantFrom(
  'NaN',
  'Infinity',
  '-Infinity',
  '12k',
  'ten',
  '1.2.3',
  '--5',
  '0x1F',
  '1e',
  '½',
  '١٢٣',
  '1_000',
  'null',
  '$',
  '()',
  '1e400',
);

/** Amounts: mostly valid, some out of bounds, a little garbage, some blank. */
export const amountValue: fc.Arbitrary<NumberValue> = fc.oneof(
  { weight: 14, arbitrary: goodAmounts.map((value) => ({ kind: 'number' as const, value })) },
  { weight: 3, arbitrary: badAmounts.map((value) => ({ kind: 'number' as const, value })) },
  { weight: 1, arbitrary: garbageNumbers.map((text) => ({ kind: 'garbage' as const, text })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'blank' as const }) },
);

export const amountVerdict = (v: NumberValue): Verdict =>
  v.kind === 'garbage' ? 'odd' : v.kind === 'blank' || (v.value >= 0 && v.value <= MAX_AMOUNT) ? 'good' : 'bad';

/** How a number is written: plain, with thousands separators, a currency sign, accounting brackets for a negative. */
export type NumberFormat = 'plain' | 'thousands' | 'currency' | 'brackets' | 'padded';
export const numberFormat: fc.Arbitrary<NumberFormat> = fc.constantFrom('plain', 'plain', 'thousands', 'currency', 'brackets', 'padded');

/** Writes `n` in `format` (a format that cannot show `n`, e.g. separators in an exponent, falls back to plain). */
export function formatNumber(n: number, format: NumberFormat): string {
  const s = Object.is(n, -0) ? '-0' : String(n);
  if (format === 'padded') return `  ${s}\t`;
  // A sign before a currency sign ("-$5") is not a form the mapping reads: negatives take brackets or a bare sign.
  if (format === 'currency' && s.startsWith('-')) return s;
  if (format === 'brackets' && n < 0) return `(${String(-n)})`;
  if (/e/i.test(s)) return s;
  const [int, frac] = s.replace('-', '').split('.');
  const grouped = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (frac ? `.${frac}` : '');
  const sign = s.startsWith('-') ? '-' : '';
  if (format === 'thousands') return sign + grouped;
  if (format === 'currency') return `${sign}$${grouped}`;
  return s;
}

// ---- dates -----------------------------------------------------------------------------

/** A date by construction: an instant (ms), or text that is no date at all. */
export type DateValue = { kind: 'instant'; at: number } | { kind: 'blank' } | { kind: 'garbage'; text: string };

const Y0 = Date.parse('0000-01-01T00:00:00.000Z');
const Y9999 = Date.parse('9999-12-31T00:00:00.000Z');

const goodInstants = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2030, 0, 1) }) },
  { weight: 3, arbitrary: fc.integer({ min: FIRST_MS, max: LAST_MS }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      FIRST_MS,
      LAST_MS,
      Date.UTC(2024, 1, 29),
      Date.UTC(2000, 1, 29),
      Date.UTC(2038, 0, 19, 3, 14, 7),
      Date.UTC(1999, 11, 31, 23, 59, 59, 999),
      Date.UTC(2099, 11, 31),
    ),
  },
);
const badInstants = fc.oneof(
  fc.constantFrom(
    Y9999,
    Y0,
    Date.UTC(1969, 6, 20, 20, 17, 40),
    FIRST_MS - 1,
    LAST_MS + 1,
    Date.UTC(2100, 0, 1),
    Date.UTC(1900, 0, 1),
    Date.UTC(1000, 0, 1),
  ),
  // Years 0-99, which Date.UTC would read as 1900-1999 (a year 0075 is no 1975).
  fc.integer({ min: 0, max: 99 }).map((y) => new Date(Date.UTC(2000, 0, 1)).setUTCFullYear(y, 5, 15)),
  fc.integer({ min: Y0, max: FIRST_MS - 1 }),
  fc.integer({ min: LAST_MS + 1, max: Y9999 }),
);
const garbageDates = fc.constantFrom(
  '31/12/2024',
  '12/31/2024',
  'tomorrow',
  'yesterday',
  '2024-13-45',
  '2023-02-29',
  '2024-02-30',
  '2024-05-01T25:00:00Z',
  '2024-5-1',
  '20240501',
  'NaN',
  '-1',
  '1e12',
  'Invalid Date',
  '0000-00-00',
  '2024-05-01T12:00:00+25:00',
  '⁒',
  'Q3 2025',
  'ASAP',
);

export const dateValue: fc.Arbitrary<DateValue> = fc.oneof(
  { weight: 14, arbitrary: goodInstants.map((at) => ({ kind: 'instant' as const, at })) },
  { weight: 3, arbitrary: badInstants.map((at) => ({ kind: 'instant' as const, at })) },
  { weight: 1, arbitrary: garbageDates.map((text) => ({ kind: 'garbage' as const, text })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'blank' as const }) },
);

export const dateVerdict = (v: DateValue): Verdict =>
  v.kind === 'garbage' ? 'odd' : v.kind === 'blank' || (v.at >= FIRST_MS && v.at <= LAST_MS) ? 'good' : 'bad';

/** Dates as systems write them: ISO with or without milliseconds, a date alone, epoch milliseconds, an offset. */
export type DateFormat = 'iso' | 'iso-seconds' | 'date' | 'epoch' | 'offset';
export const dateFormat: fc.Arbitrary<DateFormat> = fc.constantFrom('iso', 'iso', 'iso-seconds', 'date', 'epoch', 'offset');

const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');

/** The calendar date of `at` in UTC, `yyyy-mm-dd` (years 0-9999 only). */
export const isoDay = (at: number): string => new Date(at).toISOString().slice(0, 10);
export const midnight = (at: number): number => Math.floor(at / 86_400_000) * 86_400_000;

/**
 * Writes instant `at` in `format`. A date alone stands for midnight UTC, so `date` is used only
 * for instants at midnight (others fall back to ISO); epoch text only for instants after 1970.
 */
export function formatDate(at: number, format: DateFormat): string {
  const iso = new Date(at).toISOString();
  if (format === 'date' && at === midnight(at)) return iso.slice(0, 10).startsWith('+') ? iso : iso.slice(0, 10);
  if (format === 'epoch' && at >= 0) return String(at);
  if (format === 'iso-seconds' && at % 1000 === 0) return iso.replace('.000Z', 'Z');
  if (format === 'offset' && /^\d{4}-/.test(iso)) {
    const minutes = (Math.floor(Math.abs(at) / 60_000) % 28) * 30 - 720; // -12:00 … +14:00 in half hours
    const local = new Date(at + minutes * 60_000).toISOString().slice(0, 23);
    if (!/^\d{4}-/.test(local)) return iso;
    return `${local}${minutes < 0 ? '-' : '+'}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
  }
  return iso;
}

/** Drops the time of day: the same date at midnight, as a date-only field holds it. */
export const atMidnight = (v: DateValue): DateValue => (v.kind === 'instant' ? { kind: 'instant', at: midnight(v.at) } : v);

/** Two days: how far a close may precede the creation before it is a data error (src/core/deal.ts). */
export const CLOSE_BEFORE_CREATE_MS = 2 * 86_400_000;
