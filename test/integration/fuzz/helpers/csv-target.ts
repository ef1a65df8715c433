import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import type { FuzzTarget } from './drive.ts';
import {
  amountValue,
  amountVerdict,
  CLOSE_BEFORE_CREATE_MS,
  type DateFormat,
  type DateValue,
  dateFormat,
  dateValue,
  dateVerdict,
  fieldText,
  formatDate,
  formatNumber,
  hostileText,
  longText,
  type NumberFormat,
  type NumberValue,
  numberFormat,
  storedText,
  type Verdict,
} from './hostile-values.ts';
import type { Expected } from './ledger.ts';

/** The columns of mappings/skygeni.csv.yaml's files, in their order; sales_cycle_days is not mapped. */
const COLUMNS = [
  'deal_id',
  'created_date',
  'closed_date',
  'sales_rep_id',
  'industry',
  'region',
  'product_type',
  'lead_source',
  'deal_stage',
  'deal_amount',
  'sales_cycle_days',
  'outcome',
] as const;
/** Columns the mapping does not know, named as exports and people name them (NUL, a lone surrogate, `__proto__`, blank, repeated). */
const EXTRA_COLUMNS = [
  'notes\u0000',
  'ключ',
  'lone \ud800',
  '__proto__',
  'constructor',
  'a,b',
  'quote"d',
  'emoji 🏳️‍🌈',
  '',
  'dup',
  'dup',
  '\u202eRTL',
];

type Id =
  | { kind: 'id'; prefix: string }
  | { kind: 'blank'; text: string }
  | { kind: 'long'; prefix: string; length: number }
  | { kind: 'repeat' };

/** One line of a hostile CSV export. */
export interface CsvRow {
  id: Id;
  outcome: string;
  stage: string;
  amount: NumberValue;
  amountFormat: NumberFormat;
  created: DateValue;
  createdFormat: DateFormat;
  closed: DateValue;
  closedFormat: DateFormat;
  rep: string;
  /**
   * A stray quote in sales_rep_id: inside the value (`rep "x" 1`), csv-parse cannot read the line;
   * at its start (`"x" 1`), csv-parse reads nothing more of the file (reported as a range).
   */
  malformed: 'no' | 'inside' | 'start';
  industry: string;
  region: string;
  product: string;
  leadSource: string;
  cycle: string;
  extras: string[];
  /** The line ends after this many columns (the rest are missing), or null for a whole line. */
  cut: number | null;
}

const GOOD_OUTCOMES = ['Won', 'Lost', 'Open', ' won ', 'OPEN', 'lost', 'Op\u0000en', '\tOpen\u00a0'];
const BAD_OUTCOMES = ['Won\u200b', 'Pending', 'W0n', '1', 'true', '', '   '];
// A Map: an outcome of "constructor" or "__proto__" must find nothing, as it does in the mapping.
const STATUS = new Map<string, 'won' | 'lost' | 'open'>([
  ['won', 'won'],
  ['lost', 'lost'],
  ['open', 'open'],
]);

const text = fieldText({ longest: 20_000 });
const id: fc.Arbitrary<Id> = fc.oneof(
  { weight: 200, arbitrary: hostileText.map((prefix) => ({ kind: 'id' as const, prefix })) },
  {
    weight: 4,
    arbitrary: fc.constantFrom('', ' ', '\u0000', '\t\u00a0', '\u0000 \u0000').map((t) => ({ kind: 'blank' as const, text: t })),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'repeat' as const }) },
  // Ids past what an index entry holds; a 1 MB one now and then (the store refuses it by name, after halving its batch down to it).
  {
    weight: 1,
    arbitrary: fc
      .record({
        prefix: hostileText,
        length: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(300, 3_000, 10_000) }, { weight: 1, arbitrary: fc.constant(1 << 20) }),
      })
      .map((x) => ({ kind: 'long' as const, ...x })),
  },
);
// 1 MB values sparingly: about one row in 400 carries one, in a column the mapping does not read.
const extras = fc.array(fc.oneof({ weight: 5_000, arbitrary: hostileText }, { weight: 1, arbitrary: longText(1 << 20) }), {
  minLength: EXTRA_COLUMNS.length,
  maxLength: EXTRA_COLUMNS.length,
});

function row(o: {
  amount: fc.Arbitrary<NumberValue>;
  date: fc.Arbitrary<DateValue>;
  outcome: fc.Arbitrary<string>;
  broken: boolean;
}): fc.Arbitrary<CsvRow> {
  const r = fc.record({
    id: o.broken ? id : id.filter((x) => x.kind !== 'blank'),
    outcome: o.outcome,
    stage: text,
    amount: o.amount,
    amountFormat: numberFormat,
    created: o.date,
    createdFormat: dateFormat,
    closed: o.date,
    closedFormat: dateFormat,
    rep: hostileText,
    malformed: o.broken
      ? fc
          .constantFrom(...(['no', 'inside'] as const))
          .chain((m) => fc.oneof({ weight: 999, arbitrary: fc.constant(m) }, { weight: 1, arbitrary: fc.constant('start' as const) }))
      : fc.constant('no' as const),
    industry: hostileText,
    region: hostileText,
    product: hostileText,
    leadSource: hostileText,
    cycle: hostileText,
    extras,
    cut: o.broken ? fc.option(fc.integer({ min: 1, max: COLUMNS.length - 1 }), { freq: 4 }) : fc.constant(null),
  });
  // A valid row closes a deal no earlier than it was created.
  return o.broken
    ? r
    : r.map((x) =>
        x.created.kind === 'instant' && x.closed.kind === 'instant' && x.created.at > x.closed.at
          ? { ...x, created: x.closed, closed: x.created }
          : x,
      );
}

export const csvRow: fc.Arbitrary<CsvRow> = fc.oneof(
  {
    weight: 7,
    arbitrary: row({
      amount: amountValue.filter((v) => amountVerdict(v) === 'good'),
      date: dateValue.filter((v) => dateVerdict(v) === 'good'),
      outcome: fc.constantFrom(...GOOD_OUTCOMES),
      broken: false,
    }),
  },
  {
    weight: 1,
    arbitrary: row({
      amount: amountValue,
      date: dateValue,
      outcome: fc.oneof(fc.constantFrom(...GOOD_OUTCOMES, ...BAD_OUTCOMES), hostileText),
      broken: true,
    }),
  },
);

const numberCell = (v: NumberValue, f: NumberFormat): string =>
  v.kind === 'blank' ? '' : v.kind === 'garbage' ? v.text : formatNumber(v.value, f);
// Epoch milliseconds are read only as 11 to 14 digits (from 1970-04-26): earlier instants are written as ISO.
const dateCell = (v: DateValue, f: DateFormat): string =>
  v.kind === 'blank' ? '' : v.kind === 'garbage' ? v.text : formatDate(v.at, f === 'epoch' && v.at < 1e10 ? 'iso' : f);

/** RFC 4180 quoting where a value needs it (and where csv-parse's trim would otherwise eat its edges). */
const quote = (v: string): string => (/[",\r\n]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const oneLine = (v: string): string => v.replace(/[\r\n]/g, ' ');

interface Line {
  cells: string[];
  /** Cells written unquoted as they are (a malformed one). */
  raw: Set<number>;
}

/** True when the stray quote is written: a line cut before sales_rep_id has none. */
const malformed = (r: CsvRow): boolean => r.malformed !== 'no' && (r.cut === null || r.cut > COLUMNS.indexOf('sales_rep_id'));

function lineOf(r: CsvRow, idText: string): Line {
  const rep = r.malformed === 'no' ? r.rep : `${r.malformed === 'inside' ? `rep ${oneLine(r.rep).replace(/[",]/g, '')}` : ''} "x" 1`;
  const cells = [
    idText,
    dateCell(r.created, r.createdFormat),
    dateCell(r.closed, r.closedFormat),
    rep,
    r.industry,
    r.region,
    r.product,
    r.leadSource,
    r.stage,
    numberCell(r.amount, r.amountFormat),
    r.cycle,
    r.outcome,
    ...r.extras,
  ];
  // A line that will be rejected by its number keeps to one physical line, so that number is unambiguous.
  const flat = malformed(r) || r.id.kind === 'blank';
  return { cells: flat ? cells.map(oneLine) : cells, raw: malformed(r) ? new Set([3]) : new Set() };
}

const render = (l: Line, cut: number | null): string =>
  (cut === null ? l.cells : l.cells.slice(0, cut)).map((c, i) => (l.raw.has(i) ? c : quote(c))).join(',');

/** What must become of row `r` (its id cell written as `idText`, ending at `line`), through mappings/skygeni.csv.yaml. */
export function csvExpected(r: CsvRow, idText: string, line: number): Expected {
  const present = (column: (typeof COLUMNS)[number]) => r.cut === null || COLUMNS.indexOf(column) < r.cut;
  const blankIf = <T extends { kind: string }>(v: T, column: (typeof COLUMNS)[number]): T | { kind: 'blank' } =>
    present(column) ? v : { kind: 'blank' };
  const amount = blankIf(r.amount, 'deal_amount') as NumberValue;
  const created = blankIf(r.created, 'created_date') as DateValue;
  const closed = blankIf(r.closed, 'closed_date') as DateValue;
  const outcome = present('outcome') ? r.outcome : '';
  const status = STATUS.get((storedText(outcome) ?? '').toLowerCase()) ?? null;
  const cell = (column: (typeof COLUMNS)[number], v: string) => (present(column) ? storedText(v) : null);
  const id = storedText(idText);
  if (malformed(r)) return { id: `line-${line}`, row: line, verdict: 'bad', suspects: ['sales_rep_id'], values: {} };
  if (id === null) return { id: `line-${line}`, row: line, verdict: 'bad', suspects: ['deal_id'], values: {} };
  const verdicts: Array<[string, Verdict]> = [
    ['stage.status', status === null ? 'bad' : 'good'],
    ['amount', amountVerdict(amount)],
    ['createdAt', dateVerdict(created)],
    ['closedAt', dateVerdict(closed)],
  ];
  if (
    created.kind === 'instant' &&
    closed.kind === 'instant' &&
    dateVerdict(created) === 'good' &&
    dateVerdict(closed) === 'good' &&
    closed.at < created.at - CLOSE_BEFORE_CREATE_MS
  ) {
    verdicts.push(['closedAt', 'bad']);
  }
  const suspects = [...new Set(verdicts.filter(([, v]) => v !== 'good').map(([f]) => f))];
  const verdict: Verdict = verdicts.some(([, v]) => v === 'bad') ? 'bad' : suspects.length ? 'odd' : 'good';
  return {
    id,
    row: line,
    verdict,
    suspects,
    // An index entry holds about 2.7 kB (Postgres' btree limit, PGlite's 8 kB): a longer id may be refused by the store, by name.
    storeMayRefuse: Buffer.byteLength(id) > 2_000,
    values:
      verdict === 'good'
        ? {
            'stage.status': status,
            'stage.label': cell('deal_stage', r.stage),
            amount: amount.kind === 'number' ? amount.value : null,
            currency: 'USD',
            createdAt: created.kind === 'instant' ? new Date(created.at) : null,
            closedAt: closed.kind === 'instant' ? new Date(closed.at) : null,
            'owner.id': cell('sales_rep_id', r.rep),
            'owner.name': cell('sales_rep_id', r.rep),
            'account.industry': cell('industry', r.industry),
            'account.region': cell('region', r.region),
            product: cell('product_type', r.product),
            leadSource: cell('lead_source', r.leadSource),
          }
        : {},
  };
}

/**
 * Writes each batch as the CSV file a CSV connection reads (mappings/skygeni.csv.yaml), with
 * columns the mapping does not know, a byte-order mark on every other file, quoted line breaks,
 * short lines, lines csv-parse cannot read and repeated ids. The file holds one batch at a time.
 */
export function csvTarget(file: string, tenantId: string): FuzzTarget<CsvRow> {
  return {
    name: 'CSV rows',
    tenantId,
    source: 'csv',
    record: csvRow,
    async plant(generated, run) {
      // A stray quote at the start of a value ends csv-parse's reading of the file: keep one such
      // line a file, near its end, so the lines after it (reported as not read) are few.
      const batch = generated.map((r, i) =>
        r.malformed === 'start' && generated.findIndex((x) => x.malformed === 'start') !== i ? { ...r, malformed: 'inside' as const } : r,
      );
      const stall = batch.findIndex((r) => r.malformed === 'start');
      if (stall >= 0 && batch.length > 10) batch.splice(batch.length - 10, 0, ...batch.splice(stall, 1));
      const header = [...COLUMNS, ...EXTRA_COLUMNS].map(quote).join(',');
      const parts: string[] = [header];
      const expected: Expected[] = [];
      // csv-parse counts every CR and LF, inside quotes too, and names a line by where it ends.
      let line = 1;
      const lines = (s: string) => (s.match(/\r|\n/g) ?? []).length;
      let lastGood: { idText: string; index: number } | null = null;
      batch.forEach((r, i) => {
        const suffix = `~${run}.${i}`;
        const own =
          r.id.kind === 'blank'
            ? r.id.text
            : r.id.kind === 'long'
              ? `${r.id.prefix}${'#'.repeat(r.id.length)}${suffix}`
              : `${r.id.kind === 'id' ? r.id.prefix : ''}${suffix}`;
        // A repeated id takes a valid earlier row's id when this row is valid too: the later row is the one stored.
        const repeats = r.id.kind === 'repeat' && lastGood !== null && csvExpected(r, own, 0).verdict === 'good';
        const idText = repeats ? lastGood!.idText : own;
        const written = lineOf(r, idText);
        const text = render(written, r.cut);
        line += lines(text) + 1;
        parts.push(text);
        if (repeats) expected[lastGood!.index]!.replaced = true;
        const e = csvExpected(r, written.cells[0]!, line);
        expected.push(e);
        if (e.verdict === 'good') lastGood = { idText, index: expected.length - 1 };
      });
      const body = `${parts.join('\n')}\n`;
      writeFileSync(file, (run % 2 === 1 ? '\ufeff' : '') + body);
      return { expected, refused: 0 };
    },
  };
}
