import type { Router } from 'express';
import { parse as parseYaml, stringify as toYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../core/errors.ts';
import { saveMappingOverride } from '../../mapping/resolve.ts';
import type { Mapping } from '../../mapping/schema.ts';
import type { MappingSourceName } from '../api/settings.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import type { SafeHtml } from '../http/html.ts';
import { forgetFieldLists, sourceFields, storedRecords } from '../source-fields.ts';
import { assertAdmin, pageRoute, redirectWith } from './common.ts';
import { type FormIssue, formToDoc, postedFromBody, postedFromEntries, validateDoc } from './mapping-form.ts';
import { PREVIEW_RECORDS, renderPreview } from './mapping-preview.ts';
import { formRows, type MappingEcho, rowContext } from './settings-mapping.ts';

/** Renders the settings page again with what was posted (status 400 when it was refused). */
export type RenderAgain = (
  p: Principal,
  source: MappingSourceName,
  echo: MappingEcho,
  status?: number,
) => Promise<{ title: string; active: string; status: number; body: SafeHtml }>;

const sourceOf = (v: unknown): MappingSourceName => (v === 'hubspot' ? 'hubspot' : 'salesforce');

async function preview(
  s: ServerContext,
  p: Principal,
  source: MappingSourceName,
  mapping: Mapping,
  changed?: string | null,
): Promise<SafeHtml> {
  const records = await storedRecords(s, p.tenantId, source, PREVIEW_RECORDS);
  return renderPreview(mapping, records, { tenantId: p.tenantId, source, changed: changed ?? null });
}

/** YAML text as a document, or the line that is not YAML. */
function parseText(text: string): { doc: unknown } | { error: string } {
  try {
    return { doc: parseYaml(text) as unknown };
  } catch (e) {
    if (!(e instanceof YAMLParseError)) throw e;
    return { error: `not valid YAML (line ${e.linePos?.[0]?.line ?? '?'}): ${e.message.split('\n')[0]}` };
  }
}

/** The live preview's request: the form's controls as `[name, value]` pairs, or the YAML view's text. */
const PreviewRequest = z
  .object({
    source: z.enum(['salesforce', 'hubspot']),
    entries: z
      .array(z.tuple([z.string().max(200), z.string().max(100_000)]))
      .max(400)
      .optional(),
    yaml: z.string().max(200_000).optional(),
    changed: z.string().max(200).nullable().optional(),
  })
  .strict()
  .refine((b) => (b.entries === undefined) !== (b.yaml === undefined), {
    message: 'send either entries (the form) or yaml (the YAML view)',
  });

export function mappingActions(s: ServerContext, router: Router, again: RenderAgain): void {
  const { store } = s.app;

  const reset = async (p: Principal, source: MappingSourceName) => {
    await store.mappings.remove(p.tenantId, source);
    forgetFieldLists(s, p.tenantId);
    await store.audit.add(p.tenantId, { actor: p.label, action: 'mapping.reset', target: source }, s.app.now());
  };
  const save = async (p: Principal, source: MappingSourceName, doc: unknown) => {
    await saveMappingOverride(store, p.tenantId, source, doc, p.label, s.app.now());
    forgetFieldLists(s, p.tenantId);
    await store.audit.add(p.tenantId, { actor: p.label, action: 'mapping.updated', target: source }, s.app.now());
  };

  // The YAML view.
  router.post(
    '/settings/mapping',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const source = sourceOf(body.source);
      const text = typeof body.mapping === 'string' ? body.mapping : '';
      if (body.intent === 'reset') {
        await reset(p, source);
        return redirectWith(res, `/settings?source=${source}#h-mapping`, 'ok', `The ${source} mapping is back to the shipped default.`);
      }
      const parsed = parseText(text);
      if ('error' in parsed) return again(p, source, { text, errors: [parsed.error], advanced: true });
      const { mapping, issues } = validateDoc(parsed.doc, source);
      if (!mapping) return again(p, source, { text, issues, advanced: true });
      if (body.intent === 'save') {
        await save(p, source, parsed.doc);
        return redirectWith(res, `/settings?source=${source}#h-mapping`, 'ok', `Mapping for ${source} saved; the next sync uses it.`);
      }
      return again(p, source, { text, preview: await preview(s, p, source, mapping), advanced: true }, 200);
    }),
  );

  // The form: preview, save, reset, or add a value-map row per value of a row's source field.
  router.post(
    '/settings/mapping/form',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const posted = postedFromBody(req.body);
      const source = sourceOf(posted.get('source')?.[0]);
      const intent = posted.get('intent')?.[0] ?? 'preview';
      if (intent === 'reset') {
        await reset(p, source);
        return redirectWith(res, `/settings?source=${source}#h-mapping`, 'ok', `The ${source} mapping is back to the shipped default.`);
      }
      const { doc, issues: formIssues } = formToDoc(posted);
      if (intent.startsWith('fill:')) return again(p, source, await fill(s, p, source, doc, intent.slice(5)), 200);
      const { mapping, issues } = validateDoc(doc, source);
      const all = [...formIssues, ...issues];
      if (!mapping || all.length) return again(p, source, { doc, issues: all });
      if (intent === 'save') {
        await save(p, source, doc);
        return redirectWith(res, `/settings?source=${source}#h-mapping`, 'ok', `Mapping for ${source} saved; the next sync uses it.`);
      }
      return again(p, source, { doc, preview: await preview(s, p, source, mapping) }, 200);
    }),
  );

  // The live preview (settings-mapping.js): JSON in, JSON out; the page's CSRF token in a header.
  router.post('/settings/mapping/preview', async (req, res, next) => {
    try {
      const p = res.locals.principal as Principal | undefined;
      if (p?.kind !== 'user') throw new AppError('unauthorized', 'your session has ended; sign in again');
      assertAdmin(p);
      const r = PreviewRequest.safeParse(req.body);
      if (!r.success) {
        throw new AppError(
          'input_invalid',
          `mapping preview: ${r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
        );
      }
      res.json(await livePreview(s, p, r.data));
    } catch (e) {
      next(e);
    }
  });
}

/** What the live preview answers: the problems by row, the YAML, the preview, and (from YAML) the form again. */
async function livePreview(s: ServerContext, p: Principal, b: z.infer<typeof PreviewRequest>) {
  let doc: unknown;
  let formIssues: FormIssue[] = [];
  if (b.entries) {
    ({ doc, issues: formIssues } = formToDoc(postedFromEntries(b.entries)));
  } else {
    const parsed = parseText(b.yaml!);
    if ('error' in parsed) return { ok: false, issues: [{ row: null, path: '(yaml)', message: parsed.error }], yaml: null, preview: '' };
    doc = parsed.doc;
  }
  const { mapping, issues } = validateDoc(doc, b.source);
  const all = [...formIssues, ...issues];
  const out: Record<string, unknown> = {
    ok: all.length === 0,
    issues: all,
    yaml: b.entries ? toYaml(doc) : null,
    preview: mapping && all.length === 0 ? (await preview(s, p, b.source, mapping, b.changed)).value : '',
  };
  if (b.yaml !== undefined && doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
    // The form follows the YAML view: its rows again, and the document they edit.
    const c = rowContext(await sourceFields(s, p.tenantId, b.source), b.source, { readOnly: false, issues: all });
    out.form = formRows(c, doc as Record<string, unknown>).value;
    out.base = JSON.stringify(doc);
  }
  return out;
}

/** Unchosen value-map rows for each value of the row's source field that the map lacks. */
async function fill(
  s: ServerContext,
  p: Principal,
  source: MappingSourceName,
  doc: Record<string, unknown>,
  key: string,
): Promise<MappingEcho> {
  const spec = (doc.fields as Record<string, Record<string, unknown>> | undefined)?.[key];
  const from = spec ? (Array.isArray(spec.from) ? spec.from[0] : spec.from) : undefined;
  const field = typeof from === 'string' ? (await sourceFields(s, p.tenantId, source)).fields.find((f) => f.name === from) : undefined;
  if (!field?.options?.length) {
    const why = typeof from === 'string' ? `${from} has no list of values here: type the values in the rows` : 'pick a source field first';
    return { doc, issues: [{ row: key, path: `fields.${key}.values`, message: why }] };
  }
  const have = new Set(Object.keys((spec?.values as Record<string, unknown> | undefined) ?? {}).map((v) => v.trim().toLowerCase()));
  return { doc, pending: { [key]: field.options.filter((o) => !have.has(o.trim().toLowerCase())) } };
}
