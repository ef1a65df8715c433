import type { SourceField } from '../../../connectors/types.ts';
import { CANONICAL_FIELD_NOTES } from '../../mapping/canonical-fields.ts';
import type { CanonicalField } from '../../mapping/schema.ts';
import { html, raw, type SafeHtml } from '../http/html.ts';
import { defaultType, ENUMERATED, type FormIssue, NULL_VALUE, REJECT, rowKind, TYPE_CHOICES } from './mapping-form.ts';

/** What every row renderer needs: the fields to pick from, the problems, and whether controls post. */
export interface RowContext {
  fields: ReadonlyMap<string, SourceField>;
  /** Where the field list came from, for "not listed" hints. */
  listedBy: string;
  issues: readonly FormIssue[];
  /** Raw values to offer as unchosen value-map rows (after "Add a row per value"). */
  pending: Readonly<Record<string, readonly string[]>>;
  /** Viewers, and forms too large to post: controls shown, not submitted. */
  readOnly: boolean;
  /** Named controls rendered so far (the app parses at most 200 form parameters). */
  count: number;
}

type Spec = Record<string, unknown>;

const slug = (key: string): string => key.replace(/[^A-Za-z0-9_]/g, '-');
const text = (v: unknown): string =>
  v === undefined || v === null
    ? ''
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : JSON.stringify(v);
const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(text) : v === undefined ? [] : [text(v)]);

/** ` name="…"` for a control that posts (counted), ` disabled` for one that does not. */
function named(c: RowContext, name: string): SafeHtml {
  if (c.readOnly) return raw(' disabled');
  c.count++;
  return html` name="${name}"`;
}

/** "currency · Amount" for the picked field, or why it is not in the list. */
export function typeHint(c: RowContext, path: string): string {
  if (!path) return '';
  const f = c.fields.get(path);
  if (f) return f.label === f.name ? f.type : `${f.type} · ${f.label}`;
  return `not ${c.listedBy}`;
}

function sourceInputs(c: RowContext, prefix: string, id: string, spec: Spec): SafeHtml {
  const from = list(spec.from);
  const inputs = from.length ? from : [''];
  return html`${inputs.map(
    (v, i) => html`<div class="ctl"><label for="${id}-from-${i}">${i === 0 ? 'Source field' : 'then, if empty'}</label>
<input id="${id}-from-${i}" type="text" list="source-fields" autocomplete="off" spellcheck="false" size="30" class="pick" value="${v}"${named(c, `${prefix}.from`)} aria-describedby="${id}-type-${i} ${id}-err">
<span class="src-type small muted" id="${id}-type-${i}" aria-live="polite">${typeHint(c, v)}</span></div>`,
  )}${
    spec.template !== undefined
      ? html`<div class="ctl"><label for="${id}-template">Template (used instead of the source field)</label><input id="${id}-template" type="text" size="30" value="${text(spec.template)}"${named(c, `${prefix}.template`)}></div>`
      : ''
  }`;
}

function typeSelect(c: RowContext, prefix: string, id: string, key: string, spec: Spec): SafeHtml | '' {
  const choices = TYPE_CHOICES[rowKind(key)];
  if (!choices.length) return '';
  const current = text(spec.type) || defaultType(key);
  const options = choices.includes(current as never) ? choices : [...choices, current];
  return html`<div class="ctl"><label for="${id}-type">Read as</label><select id="${id}-type" class="type"${named(c, `${prefix}.type`)}>${options.map(
    (t) => html`<option value="${t}"${t === current ? raw(' selected') : ''}>${t}</option>`,
  )}</select></div>`;
}

function dateOptions(c: RowContext, prefix: string, id: string, spec: Spec): SafeHtml {
  return html`<div class="ctl"><label for="${id}-formats">Date formats, one a line (ISO 8601 and epoch ms are always read)</label>
<textarea id="${id}-formats" rows="1" cols="18" spellcheck="false"${named(c, `${prefix}.formats`)}>${list(spec.formats).join('\n')}</textarea></div>
<div class="ctl"><label for="${id}-timezone">Time zone</label><input id="${id}-timezone" type="text" size="14" placeholder="UTC" value="${text(spec.timezone)}"${named(c, `${prefix}.timezone`)}></div>`;
}

function defaultInput(c: RowContext, prefix: string, id: string, spec: Spec): SafeHtml {
  return html`<div class="ctl"><label for="${id}-default">Default when empty</label><input id="${id}-default" type="text" size="10" value="${text(spec.default)}"${named(c, `${prefix}.default`)}></div>`;
}

/** raw value → canonical value rows, the fallback for values not listed, and a filler from the picked field's options. */
function valuesEditor(c: RowContext, prefix: string, id: string, key: string, spec: Spec): SafeHtml | '' {
  const targets = ENUMERATED[key];
  const values = spec.values && typeof spec.values === 'object' ? Object.entries(spec.values as Record<string, unknown>) : [];
  if (!targets && values.length === 0) return '';
  const rows: Array<[string, string]> = [
    ...values.map(([k, v]): [string, string] => [k, v === null ? NULL_VALUE : text(v)]),
    ...(c.pending[key] ?? []).map((v): [string, string] => [v, '']),
    ['', ''],
  ];
  const choices = targets ?? [...new Set(values.map(([, v]) => text(v)).filter(Boolean))];
  const target = (n: number, to: string): SafeHtml =>
    targets
      ? html`<select id="${id}-vto-${n}" aria-label="becomes (value ${n + 1})"${named(c, `${prefix}.vto`)}><option value="">choose…</option>${targets.map(
          (t) => html`<option value="${t}"${t === to ? raw(' selected') : ''}>${t}</option>`,
        )}<option value="${NULL_VALUE}"${to === NULL_VALUE ? raw(' selected') : ''}>(empty)</option></select>`
      : html`<input id="${id}-vto-${n}" type="text" size="14" aria-label="becomes (value ${n + 1})" value="${to === NULL_VALUE ? '' : to}"${named(c, `${prefix}.vto`)}>`;
  const otherwise = spec.otherwise === undefined ? REJECT : spec.otherwise === null ? NULL_VALUE : text(spec.otherwise);
  const picked = c.fields.get(list(spec.from)[0] ?? '');
  return html`<fieldset class="values"><legend>Values: what each source value becomes</legend>
<table class="values"><thead><tr><th scope="col">Source value</th><th scope="col">Becomes</th></tr></thead><tbody>
${rows.map(
  ([from, to], n) =>
    html`<tr><td><input id="${id}-vraw-${n}" type="text" size="18" aria-label="source value ${n + 1}" value="${from}"${named(c, `${prefix}.vraw`)}></td><td>${target(n, to)}</td></tr>`,
)}</tbody></table>
<div class="ctl"><label for="${id}-otherwise">Any other value</label><select id="${id}-otherwise"${named(c, `${prefix}.otherwise`)}>
<option value="${REJECT}"${otherwise === REJECT ? raw(' selected') : ''}>rejects the record</option>
<option value="${NULL_VALUE}"${otherwise === NULL_VALUE ? raw(' selected') : ''}>leaves the field empty</option>
${[...new Set([...choices, ...(otherwise !== REJECT && otherwise !== NULL_VALUE ? [otherwise] : [])])].map((t) => html`<option value="${t}"${t === otherwise ? raw(' selected') : ''}>becomes ${t}</option>`)}
</select></div>
${
  c.readOnly
    ? ''
    : html`<button type="submit" name="intent" value="fill:${key}" class="secondary small">Add a row per value of the source field${picked?.options ? ` (${picked.options.length})` : ''}</button>`
}</fieldset>`;
}

function rowErrors(c: RowContext, id: string, row: string): SafeHtml {
  const mine = c.issues.filter((i) => i.row === row);
  return html`<p class="field-error" id="${id}-err" data-row="${row}"${mine.length ? '' : raw(' hidden')}>${mine.map((i) => html`<span>${i.path}: ${i.message}</span> `)}</p>`;
}

/** One canonical field: its source picker, the options its type takes, its errors. */
export function canonicalRow(c: RowContext, key: CanonicalField, spec: Spec): SafeHtml {
  const id = `m-${slug(key)}`;
  const prefix = `f.${key}`;
  const kind = rowKind(key);
  const invalid = c.issues.some((i) => i.row === key);
  return html`<fieldset class="map-row${invalid ? ' invalid' : ''}" id="row-${slug(key)}" data-row="${key}"><legend><code>${key}</code></legend>
<p class="feeds small muted">${CANONICAL_FIELD_NOTES[key]}</p>
<div class="controls">${sourceInputs(c, prefix, id, spec)}${typeSelect(c, prefix, id, key, spec)}${kind === 'date' ? dateOptions(c, prefix, id, spec) : ''}${
    kind === 'history' ? '' : defaultInput(c, prefix, id, spec)
  }</div>
${valuesEditor(c, prefix, id, key, spec)}${rowErrors(c, id, key)}</fieldset>`;
}

/** One `extras.<name>` row (`key` null: the blank row for a new extra). */
export function extraRow(c: RowContext, index: number, key: string | null, spec: Spec): SafeHtml {
  const id = `x-${index}`;
  const prefix = `x.${index}`;
  const row = key ?? prefix;
  const invalid = c.issues.some((i) => i.row === row);
  return html`<fieldset class="map-row extra${invalid ? ' invalid' : ''}" id="row-${id}" data-row="${row}" data-extra="${index}"><legend>${key ? html`Extra <code>${key}</code>` : 'New extra'}</legend>
${key && !c.readOnly ? html`<input type="hidden" value="${key}"${named(c, `${prefix}.orig`)}>` : ''}
<div class="controls"><div class="ctl"><label for="${id}-name">Name (letters, digits, _)</label><input id="${id}-name" type="text" size="14" class="extra-name" value="${key ? key.slice('extras.'.length) : ''}"${named(c, `${prefix}.name`)}></div>
<div class="ctl"><label for="${id}-label">Label people see</label><input id="${id}-label" type="text" size="16" value="${text(spec.label)}"${named(c, `${prefix}.label`)}></div>
${sourceInputs(c, prefix, id, spec)}${typeSelect(c, prefix, id, 'extras.x', spec)}${defaultInput(c, prefix, id, spec)}
${key && !c.readOnly ? html`<div class="ctl"><label class="check"><input type="checkbox" value="1"${named(c, `${prefix}.remove`)}> Remove</label></div>` : ''}</div>
${rowErrors(c, id, row)}</fieldset>`;
}
