import { AppError } from '../../core/errors.ts';
import { CANONICAL_FIELDS, type CanonicalField, Mapping, type ValueType } from '../../mapping/schema.ts';

/**
 * The Settings mapping form as data: which controls each canonical field gets, and the way back
 * from what the form posted to a mapping document. Pure, so the form and the YAML view are two
 * editors of one document: the form edits the document it was rendered from (posted as `base`),
 * and keys it has no control for (writeBack, required, decimal, ...) pass through untouched.
 */

/** Which options a row offers, from the canonical field's type. */
export type RowKind = 'text' | 'number' | 'probability' | 'date' | 'status' | 'choice' | 'history' | 'extra';

/** Canonical values of the fields whose values are a closed set (src/core/deal.ts). */
export const ENUMERATED: Readonly<Record<string, readonly string[]>> = {
  'stage.status': ['open', 'won', 'lost'],
  dealType: ['new', 'renewal', 'expansion'],
};

export function rowKind(key: string): RowKind {
  if (key.startsWith('extras.')) return 'extra';
  if (key === 'stage.status') return 'status';
  if (key in ENUMERATED) return 'choice';
  if (key === 'crmProbability') return 'probability';
  const t = (CANONICAL_FIELDS as Record<string, ValueType>)[key];
  if (t === 'number') return 'number';
  if (t === 'date' || t === 'datetime') return 'date';
  if (t === 'stage_history') return 'history';
  return 'text';
}

/** The types a row's type picker offers; none for text, status and history rows. */
export const TYPE_CHOICES: Record<RowKind, readonly ValueType[]> = {
  number: ['number', 'integer'],
  probability: ['fraction', 'percent'],
  date: ['date', 'datetime'],
  extra: ['string', 'number', 'integer', 'percent', 'fraction', 'boolean', 'date', 'datetime'],
  text: [],
  status: [],
  choice: [],
  history: [],
};

/** The type a row reads without an explicit `type`. */
export const defaultType = (key: string): ValueType => (CANONICAL_FIELDS as Record<string, ValueType>)[key] ?? 'string';

/** Canonical fields in the order and groups the form shows them. */
export const FIELD_GROUPS: ReadonlyArray<{ title: string; keys: readonly CanonicalField[] }> = [
  {
    title: 'Stage and outcome',
    keys: [
      'stage.status',
      'stage.label',
      'stage.order',
      'pipeline',
      'forecastCategory',
      'crmProbability',
      'stageHistory',
      'stageEnteredAt',
    ],
  },
  { title: 'The deal', keys: ['name', 'amount', 'currency', 'product', 'dealType', 'leadSource', 'nextStep'] },
  { title: 'Dates', keys: ['createdAt', 'expectedCloseDate', 'closedAt', 'lastActivityAt', 'modifiedAt'] },
  {
    title: 'Owner and account',
    keys: ['owner.id', 'owner.name', 'account.id', 'account.name', 'account.industry', 'account.region', 'account.country', 'account.size'],
  },
  { title: 'Activity', keys: ['activityCount', 'contactsCount', 'closeDatePushes'] },
];

/** Value-map targets: `''` is "not chosen yet", NULL_VALUE maps to an empty field. */
export const NULL_VALUE = '__null';
/** `otherwise` absent: a value missing from `values` rejects the record. */
export const REJECT = '__reject';

/** A control's posted values by name, in document order. */
export type Posted = ReadonlyMap<string, readonly string[]>;

/** A problem the page shows next to a row (`row`: the field key), or above the form (`row: null`). */
export interface FormIssue {
  row: string | null;
  path: string;
  message: string;
}

/** Most controls a form may post (the app parses at most 200 form parameters a request). */
export const MAX_POSTED = 190;
/** Longest value a control may post: a YAML document, not a novel. */
const MAX_VALUE = 100_000;

const bad = (message: string): AppError => new AppError('input_invalid', `mapping form: ${message}`);

/** From express's urlencoded body (a repeated name arrives as an array). */
export function postedFromBody(body: unknown): Posted {
  const out = new Map<string, string[]>();
  if (!body || typeof body !== 'object') return out;
  for (const [name, v] of Object.entries(body as Record<string, unknown>)) {
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'string')) throw bad(`${name}: expected text`);
    out.set(name, list as string[]);
  }
  return check(out);
}

/** From the live preview's `[name, value]` pairs (FormData order). */
export function postedFromEntries(entries: ReadonlyArray<readonly [string, string]>): Posted {
  const out = new Map<string, string[]>();
  for (const [name, value] of entries) out.set(name, [...(out.get(name) ?? []), value]);
  return check(out);
}

function check(p: Map<string, string[]>): Posted {
  let n = 0;
  for (const [name, values] of p) {
    n += values.length;
    if (values.some((v) => v.length > MAX_VALUE)) throw bad(`${name}: longer than ${MAX_VALUE} characters`);
  }
  if (n > MAX_POSTED + 10) throw bad(`${n} controls posted; the form has at most ${MAX_POSTED}`);
  return p;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The document the form was rendered from. */
function baseOf(posted: Posted): Record<string, unknown> {
  const text = posted.get('base')?.[0];
  if (text === undefined) throw bad('base: missing (the document the form edits)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AppError('input_invalid', 'mapping form: base: not JSON', { cause: e });
  }
  if (!isObject(doc)) throw bad('base: expected a mapping document (an object)');
  return doc;
}

/** `default` as typed, as a number or boolean when the field reads one (so `0` stays `0`). */
function typedDefault(text: string, type: string): unknown {
  if (['number', 'integer', 'percent', 'fraction'].includes(type) && /^-?\d+(\.\d+)?$/.test(text.trim())) return Number(text);
  if (type === 'boolean' && /^(true|false)$/i.test(text.trim())) return text.trim().toLowerCase() === 'true';
  return text;
}

const set = (spec: Record<string, unknown>, k: string, v: unknown, keep: boolean): void => {
  if (keep) spec[k] = v;
  else delete spec[k];
};

/** Applies one row's posted options (`prefix` = `f.<key>` or `x.<i>`) over its spec. */
function applyRow(
  spec: Record<string, unknown>,
  posted: Posted,
  prefix: string,
  row: string,
  typeDefault: ValueType,
  issues: FormIssue[],
): void {
  const many = (opt: string) => posted.get(`${prefix}.${opt}`);
  const one = (opt: string) => many(opt)?.[0];
  const from = many('from')
    ?.map((v) => v.trim())
    .filter(Boolean);
  if (from) set(spec, 'from', from.length === 1 ? from[0] : from, from.length > 0);
  const template = one('template')?.trim();
  if (template !== undefined) set(spec, 'template', template, template !== '');
  const type = one('type');
  if (type !== undefined) set(spec, 'type', type, type !== typeDefault || spec.type !== undefined);
  const effective = String(spec.type ?? typeDefault);
  const dflt = one('default');
  if (dflt !== undefined) set(spec, 'default', typedDefault(dflt, effective), dflt.trim() !== '');
  const formats = one('formats')
    ?.split(/\r?\n/)
    .map((f) => f.trim())
    .filter(Boolean);
  if (formats) set(spec, 'formats', formats, formats.length > 0);
  const zone = one('timezone')?.trim();
  if (zone !== undefined) set(spec, 'timezone', zone, zone !== '');
  const label = one('label')?.trim();
  if (label !== undefined) set(spec, 'label', label, label !== '');
  const raws = many('vraw');
  if (raws) {
    const tos = many('vto') ?? [];
    const values: Record<string, unknown> = {};
    raws.forEach((r, i) => {
      const rawValue = r.trim();
      const to = tos[i] ?? '';
      if (rawValue === '') return;
      if (to === '') issues.push({ row, path: `fields.${row}.values.${rawValue}`, message: `say what "${rawValue}" becomes, or clear it` });
      else values[rawValue] = to === NULL_VALUE ? null : to;
    });
    set(spec, 'values', values, Object.keys(values).length > 0);
  }
  const otherwise = one('otherwise');
  if (otherwise !== undefined)
    set(spec, 'otherwise', otherwise === NULL_VALUE ? null : otherwise, otherwise !== REJECT && spec.values !== undefined);
}

const mapped = (spec: Record<string, unknown>): boolean =>
  spec.from !== undefined || spec.template !== undefined || spec.default !== undefined;

/** `fields` with `oldKey` renamed to `newKey` in place, so the YAML keeps its order. */
function renamed(fields: Record<string, unknown>, oldKey: string, newKey: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k === oldKey ? newKey : k, v]));
}

/**
 * The mapping document the form describes: `base` with every posted row applied. A row whose
 * source, template and default are all empty is unmapped (its key leaves `fields`). Problems only
 * the form can have (an extra without a name, a value not mapped to anything) come back as issues;
 * the rest is for `validateDoc`.
 */
export function formToDoc(posted: Posted): { doc: Record<string, unknown>; issues: FormIssue[] } {
  const base = baseOf(posted);
  let fields: Record<string, unknown> = isObject(base.fields) ? { ...base.fields } : {};
  const issues: FormIssue[] = [];
  for (const key of Object.keys(CANONICAL_FIELDS)) {
    if (!posted.has(`f.${key}.from`) && !posted.has(`f.${key}.template`)) continue;
    const spec: Record<string, unknown> = isObject(fields[key]) ? { ...(fields[key] as Record<string, unknown>) } : {};
    applyRow(spec, posted, `f.${key}`, key, defaultType(key), issues);
    if (mapped(spec)) fields[key] = spec;
    else delete fields[key];
  }
  const rows = [...new Set([...posted.keys()].map((n) => /^x\.(\d{1,3})\./.exec(n)?.[1]).filter((i): i is string => i !== undefined))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const named = new Set<string>();
  for (const i of rows) {
    const one = (opt: string) => posted.get(`x.${i}.${opt}`)?.[0];
    const orig = one('orig');
    const known = orig?.startsWith('extras.') && Object.hasOwn(fields, orig) ? orig : null;
    if (one('remove') !== undefined) {
      if (known) delete fields[known];
      continue;
    }
    const name = (one('name') ?? '').trim().replace(/^extras\./, '');
    const spec: Record<string, unknown> = known && isObject(fields[known]) ? { ...(fields[known] as Record<string, unknown>) } : {};
    applyRow(spec, posted, `x.${i}`, known ?? `x.${i}`, 'string', issues);
    if (!name && !mapped(spec)) {
      if (known) delete fields[known];
      continue;
    }
    if (!name) {
      issues.push({ row: known ?? `x.${i}`, path: `fields.extras`, message: 'give the extra a name: letters, digits and _' });
      continue;
    }
    const key = `extras.${name}`;
    if (named.has(key)) {
      issues.push({ row: key, path: `fields.${key}`, message: `${key} is named twice` });
      continue;
    }
    named.add(key);
    if (known && known !== key) {
      if (Object.hasOwn(fields, key))
        issues.push({ row: key, path: `fields.${key}`, message: `${key} exists already: choose another name` });
      else fields = renamed(fields, known, key);
    }
    fields[key] = spec;
  }
  return { doc: { ...base, fields }, issues };
}

/**
 * Validates a document as the loader does, with each problem placed on its row: a zod issue at
 * `fields.<key>...` belongs to that field's row, any other above the form.
 */
export function validateDoc(doc: unknown, source: 'salesforce' | 'hubspot'): { mapping: Mapping | null; issues: FormIssue[] } {
  const r = Mapping.safeParse(doc);
  const issues: FormIssue[] = r.success
    ? []
    : r.error.issues.map((i) => {
        const path = i.path.map(String);
        return { row: path[0] === 'fields' && path.length > 1 ? path[1]! : null, path: path.join('.') || '(root)', message: i.message };
      });
  if (r.success && r.data.source !== source)
    issues.push({ row: null, path: 'source', message: `expected "${source}", got "${r.data.source}"` });
  return { mapping: r.success && issues.length === 0 ? r.data : null, issues };
}
