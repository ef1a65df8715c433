import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { SourceField } from '../../../connectors/types.ts';
import { type MappingSourceName, mappingDocument } from '../api/settings.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import { html, raw, type SafeHtml } from '../http/html.ts';
import { type FieldList, sourceFields } from '../source-fields.ts';
import { attempt } from './common.ts';
import { csrfField } from './layout.ts';
import { FIELD_GROUPS, type FormIssue, MAX_POSTED, validateDoc } from './mapping-form.ts';
import { canonicalRow, extraRow, type RowContext } from './mapping-rows.ts';

const CRM_NAME: Record<MappingSourceName, string> = { salesforce: 'Salesforce', hubspot: 'HubSpot' };

/** What a mapping form or YAML post sends back to the page (a preview, or why it was not saved). */
export interface MappingEcho {
  /** The document the form shows: what was posted, not what is stored. */
  doc?: Record<string, unknown>;
  issues?: FormIssue[];
  /** Lines above the form that belong to no field (YAML syntax). */
  errors?: string[];
  /** The YAML view's text as posted (kept as typed when it does not parse). */
  text?: string;
  pending?: Record<string, string[]>;
  preview?: SafeHtml;
  /** The post came from the YAML view: show it open. */
  advanced?: boolean;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The YAML view's text as a document, when it is one. */
export function docOfText(text: string): Record<string, unknown> | null {
  try {
    const doc = parseYaml(text) as unknown;
    return isObject(doc) ? doc : null;
  } catch {
    // Not YAML: the form keeps showing the stored document, the error says why.
    return null;
  }
}

function datalist(fields: readonly SourceField[]): SafeHtml {
  const origin = { field: 'field', related: 'related record', derived: 'dealrisk derives it' } as const;
  return html`<datalist id="source-fields">${fields.map(
    (f) =>
      html`<option value="${f.name}" data-type="${f.type}" data-value-type="${f.valueType}" data-label="${f.label}">${f.label} · ${f.type} · ${origin[f.origin]}</option>`,
  )}</datalist>`;
}

/** The form's rows: every canonical field by group, the extras, a blank extra. */
export function formRows(c: RowContext, doc: Record<string, unknown>): SafeHtml {
  const fields = isObject(doc.fields) ? doc.fields : {};
  const spec = (k: string): Record<string, unknown> => (isObject(fields[k]) ? fields[k] : {});
  const extras = Object.keys(fields).filter((k) => k.startsWith('extras.'));
  // Extras rows keep the index of their position; the blank row comes last.
  return html`${FIELD_GROUPS.map((g) => html`<fieldset class="map-group"><legend>${g.title}</legend>${g.keys.map((k) => canonicalRow(c, k, spec(k)))}</fieldset>`)}
<fieldset class="map-group" id="extras"><legend>Extras: other fields the model may try</legend>
${extras.map((k, i) => extraRow(c, i, k, spec(k)))}${extraRow(c, extras.length, null, {})}</fieldset>`;
}

interface SectionInput {
  p: Principal;
  source: MappingSourceName;
  doc: Record<string, unknown> | null;
  docNote: string;
  overridden: boolean;
  fields: FieldList;
  echo?: MappingEcho | undefined;
}

/** "listed by Salesforce", or where the list came from when the CRM could not be asked. */
const listedBy = (fields: FieldList, source: MappingSourceName): string =>
  fields.from === 'crm' ? `listed by ${CRM_NAME[source]}` : 'seen in the stored records';

/** What the row renderers need to render a form over `fields`. */
export function rowContext(
  fields: FieldList,
  source: MappingSourceName,
  o: { readOnly: boolean; issues: FormIssue[]; pending?: Record<string, string[]> },
): RowContext {
  return {
    fields: new Map(fields.fields.map((f) => [f.name, f])),
    listedBy: listedBy(fields, source),
    issues: o.issues,
    pending: o.pending ?? {},
    readOnly: o.readOnly,
    count: 0,
  };
}

/** The form, or its read-only copy when the viewer may not edit or it has more controls than a post carries. */
function fieldForm(i: SectionInput, issues: FormIssue[]): SafeHtml {
  const admin = i.p.role === 'admin';
  if (!i.doc) return html`<p class="errors">The mapping cannot be shown as a form: ${i.docNote}</p>`;
  const context = (readOnly: boolean) =>
    rowContext(i.fields, i.source, { readOnly, issues, ...(i.echo?.pending ? { pending: i.echo.pending } : {}) });
  let c = context(!admin);
  let rows = formRows(c, i.doc);
  let note: SafeHtml | '' = '';
  if (admin && c.count > MAX_POSTED) {
    c = context(true);
    rows = formRows(c, i.doc);
    note = html`<p class="errors">This mapping has more options than the form can send at once: edit it in the YAML view below.</p>`;
  }
  const editable = admin && !c.readOnly;
  return html`${note}<form method="post" action="/settings/mapping/form" id="mapping-form" class="mapping-form" data-preview-url="/settings/mapping/preview" data-source="${i.source}" novalidate>
${editable ? html`${csrfField(i.p)}<input type="hidden" name="source" value="${i.source}"><input type="hidden" name="base" id="mapping-base" value="${JSON.stringify(i.doc)}">` : ''}
<div id="mapping-form-rows">${rows}</div>
${
  editable
    ? html`<p class="actions"><button type="submit" name="intent" value="preview" class="secondary" id="mapping-preview-button">Preview on stored records</button> <button type="submit" name="intent" value="save" id="mapping-save">Save mapping</button>
${i.overridden ? html` <button type="submit" name="intent" value="reset" class="danger">Go back to the default</button>` : ''}</p>`
    : ''
}</form>`;
}

function summary(issues: FormIssue[], errors: string[]): SafeHtml | '' {
  if (!issues.length && !errors.length) return html`<div id="mapping-errors" class="errors" role="alert" hidden></div>`;
  return html`<div class="errors" role="alert" id="mapping-errors"><strong>Not saved:</strong><ul>${errors.map((e) => html`<li>${e}</li>`)}${issues.map(
    (x) => html`<li>${x.path}: ${x.message}</li>`,
  )}</ul></div>`;
}

/** The YAML view: the same document as text, for what the form has no control for. */
function advanced(i: SectionInput, text: string): SafeHtml {
  const admin = i.p.role === 'admin';
  return html`<details id="mapping-advanced"${i.echo?.advanced ? raw(' open') : ''}><summary>Advanced: the mapping as YAML</summary>
<p class="small muted">The same mapping as the form above, with every option of the mapping language (docs/mappings.md in the repository); the form follows what you type here.</p>
<form method="post" action="/settings/mapping" id="mapping-yaml-form">${csrfField(i.p)}<input type="hidden" name="source" value="${i.source}">
<label for="mapping-text">Mapping (YAML)</label><textarea id="mapping-text" name="mapping" rows="18" spellcheck="false"${admin ? '' : raw(' readonly')}>${text}</textarea>
${
  admin
    ? html`<p><button type="submit" name="intent" value="preview" class="secondary">Validate and preview</button> <button type="submit" name="intent" value="save">Save mapping</button>
${i.overridden ? html` <button type="submit" name="intent" value="reset" class="danger">Go back to the default</button>` : ''}</p>`
    : ''
}
</form></details>`;
}

/**
 * Settings' mapping section: a form with a row per canonical field (a picker of the CRM's own
 * fields with their types, the options the field's type takes), the extras, a live preview on
 * stored records and the YAML as the advanced view. Without JavaScript the form posts; with it,
 * settings-mapping.js previews as fields change and keeps the YAML in step.
 */
export async function mappingSection(s: ServerContext, p: Principal, source: MappingSourceName, echo?: MappingEcho): Promise<SafeHtml> {
  const stored = await attempt(() => mappingDocument(s.app.store, p.tenantId, source));
  const fields = await sourceFields(s, p.tenantId, source);
  const fromText = echo?.text !== undefined ? docOfText(echo.text) : null;
  const doc = echo?.doc ?? fromText ?? (stored.ok ? stored.value.mapping : null);
  const issues = echo?.issues ?? (doc && (echo?.doc || fromText) ? validateDoc(doc, source).issues : []);
  const text = echo?.text ?? (doc ? toYaml(doc) : '');
  const i: SectionInput = {
    p,
    source,
    doc,
    docNote: stored.ok ? '' : stored.message,
    overridden: stored.ok && stored.value.overridden,
    fields,
    echo,
  };
  const crm = CRM_NAME[source];
  const other: MappingSourceName = source === 'hubspot' ? 'salesforce' : 'hubspot';
  return html`<section aria-labelledby="h-mapping" id="mapping-section"><h2 id="h-mapping">Field mapping</h2>
<p class="muted small">How ${crm} fields become the canonical deal the model learns from. ${stored.ok ? (stored.value.overridden ? 'This workspace has its own mapping.' : 'Using the shipped default.') : stored.message}
 Other CRM: <a href="/settings?source=${other}#h-mapping">${CRM_NAME[other]}</a>.</p>
<p class="small" id="mapping-fields-note" data-listed-by="${listedBy(fields, source)}">${fields.note}</p>
${summary(issues, echo?.errors ?? [])}
${datalist(fields.fields)}
${fieldForm(i, issues)}
<div id="mapping-preview-box" aria-live="polite">${echo?.preview ?? ''}</div>
${advanced(i, text)}
${p.role === 'admin' ? html`<script src="/static/settings-mapping.js" defer></script>` : ''}
</section>`;
}
