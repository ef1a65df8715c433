import type { Deal } from '../../core/deal.ts';
import type { Mapping } from '../../mapping/schema.ts';
import { compileMapping, compilePath, type MappableRecord } from '../../mapping/to-deal.ts';
import type { MappingSourceName } from '../api/settings.ts';
import { dateTime, day } from '../http/format.ts';
import { html, type SafeHtml } from '../http/html.ts';
import { FIELD_GROUPS } from './mapping-form.ts';

/** Stored records a preview maps: enough to see values and a rejection, small enough to read. */
export const PREVIEW_RECORDS = 5;
/** Problems looked for per record (each costs one more mapping pass). */
const MAX_PROBLEMS = 6;

const CRM_NAME: Record<MappingSourceName, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

/** One record through the mapping: the deal, or every field that rejects it and the values of the rest. */
export interface RecordPreview {
  id: string;
  deal: Deal | null;
  /** Canonical field → why it rejects the record (empty: the record maps). */
  problems: Map<string, string>;
  /** The values the other fields map to, shown even when the record is rejected. */
  values: Deal | null;
}

/**
 * Maps a record; when a field rejects it, maps again without that field to find the next, so a
 * preview names every failing field of a record and still shows the others' values. A failing
 * stage.status is replaced by `open` for that second look only: a deal needs a status to exist.
 */
export function previewRecord(mapping: Mapping, rec: MappableRecord, ctx: { tenantId: string; source: MappingSourceName }): RecordPreview {
  const problems = new Map<string, string>();
  let m = mapping;
  for (let i = 0; i < MAX_PROBLEMS; i++) {
    const r = compileMapping(m)(rec, ctx);
    if (r.ok) return { id: rec.id, deal: problems.size ? null : r.deal, problems, values: r.deal };
    const { field, reason } = r.error;
    if (problems.has(field) || !(field in m.fields)) {
      if (!problems.has(field)) problems.set(field, reason);
      break;
    }
    problems.set(field, reason);
    const { [field]: _dropped, ...rest } = m.fields;
    m = { ...m, fields: field === 'stage.status' ? { ...rest, 'stage.status': { default: 'open', decimal: '.' } } : rest };
  }
  return { id: rec.id, deal: null, problems, values: null };
}

function valueAt(deal: Deal, key: string): unknown {
  let cur: unknown = deal;
  for (const part of key.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
  return cur;
}

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 4 });

function show(v: unknown): SafeHtml {
  if (v === null || v === undefined || v === '') return html`<span class="muted">—</span>`;
  if (v instanceof Date) return html`${v.getTime() % 86_400_000 === 0 ? day(v) : dateTime(v)}`;
  if (typeof v === 'number') return html`${number.format(v)}`;
  if (typeof v === 'boolean') return html`${v ? 'yes' : 'no'}`;
  if (Array.isArray(v)) return html`${v.length} ${v.length === 1 ? 'stage' : 'stages'}`;
  const s = String(v);
  return html`${s.length > 80 ? `${s.slice(0, 79)}…` : s}`;
}

/** The paths a field reads (from, template), for "not in the stored records" notes. */
function readPaths(spec: Mapping['fields'][string]): string[] {
  const from = spec.from === undefined ? [] : Array.isArray(spec.from) ? spec.from : [spec.from];
  const tpl = spec.template ? [...spec.template.matchAll(/\{([^}]+)\}/g)].map((x) => x[1]!) : [];
  return [...from, ...tpl].filter((p) => p !== '$row');
}

/** Mapped fields in the form's order, extras last. */
function orderedKeys(mapping: Mapping): string[] {
  const canonical = FIELD_GROUPS.flatMap((g) => g.keys).filter((k) => k in mapping.fields);
  return [...canonical, ...Object.keys(mapping.fields).filter((k) => k.startsWith('extras.'))];
}

/**
 * The mapping applied to stored records: one column per record, one row per mapped field, the
 * first row saying whether the record maps or which fields reject it. `changed` marks the row of
 * the field just edited. A field none of the records has a value for is flagged: the stored
 * records hold what the last sync read, so a newly picked CRM field shows up after the next sync.
 */
export function renderPreview(
  mapping: Mapping,
  records: ReadonlyArray<MappableRecord>,
  ctx: { tenantId: string; source: MappingSourceName; changed?: string | null },
): SafeHtml {
  const crm = CRM_NAME[ctx.source];
  if (records.length === 0) {
    return html`<div class="card" id="mapping-preview" data-state="empty" role="status"><p>The mapping is valid. No ${crm} records are stored yet to preview it on: they arrive with the first sync.</p></div>`;
  }
  const results = records.map((r) => previewRecord(mapping, r, ctx));
  const rejected = results.filter((r) => !r.deal).length;
  const keys = orderedKeys(mapping);
  const absent = new Set(
    keys.filter((k) => {
      const paths = readPaths(mapping.fields[k]!).map(compilePath);
      return paths.length > 0 && records.every((r) => paths.every((read) => read(r.data) === undefined));
    }),
  );
  return html`<div class="card" id="mapping-preview" data-state="ok" data-mapped="${records.length - rejected}" data-rejected="${rejected}" role="status">
<p><strong>Preview</strong> on the ${records.length} latest stored ${crm} records (nothing is saved): ${records.length - rejected} mapped, ${rejected} rejected.</p>
<div class="scroll"><table class="preview"><caption class="sr-only">Canonical values of each record</caption>
<thead><tr><th scope="col">Field</th>${results.map((r) => html`<th scope="col"><code>${r.id}</code></th>`)}</tr></thead>
<tbody>
<tr class="result"><th scope="row">Result</th>${results.map((r) =>
    r.deal
      ? html`<td class="status-ok">mapped</td>`
      : html`<td class="status-bad">rejected: ${[...r.problems].map(([f, why]) => `${f}: ${why}`).join('; ')}</td>`,
  )}</tr>
${keys.map(
  (k) =>
    html`<tr data-field="${k}"${k === ctx.changed ? html` class="changed"` : ''}><th scope="row"><code>${k}</code>${
      absent.has(k) ? html`<br><span class="small muted">not in the stored records: the next sync reads it</span>` : ''
    }</th>${results.map((r) => (r.problems.has(k) ? html`<td class="status-bad">${r.problems.get(k)}</td>` : html`<td>${r.values ? show(valueAt(r.values, k)) : ''}</td>`))}</tr>`,
)}</tbody></table></div></div>`;
}
