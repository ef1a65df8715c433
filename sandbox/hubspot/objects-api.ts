import { type FaultTable, rejectionFor } from '../faults.ts';
import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { DEFAULT_PROPERTIES, type HsType, hsType } from './catalog.ts';
import { ASSOC, type HubSpotPortal } from './portal.ts';
import type { HsObject } from './records.ts';
import { csv, hsError, type RenderOptions, renderObject } from './render.ts';
import { coerceProps, type PropError, validationMessage } from './values.ts';

const MAX_BATCH = 100;
const LIST_MAX = 100;
/**
 * HubSpot's own refusal of a history read past 50 inputs, word for word as integrators quote it
 * (activepieces PR #9359); the objects spec says history "will reduce the maximum number of
 * objects that can be read by a single request". Whether an empty `propertiesWithHistory` counts
 * is undocumented: here any batch read that carries the field is held to 50 (docs/crm-limits.md).
 */
const MAX_HISTORY_INPUTS = 50;
const HISTORY_BATCH_MESSAGE =
  'The maximum number of inputs supported in a batch request for property histories is 50. Please reduce the number of items and try again';
/** The list endpoint with `propertiesWithHistory`: the same reduced page (docs silent on the number; 50 taken). */
const LIST_MAX_WITH_HISTORY = 50;
const SINGULAR: Record<HsType, string> = { deals: 'DEAL', companies: 'COMPANY', contacts: 'CONTACT', tasks: 'TASK' };

const body = (req: SbRequest): Record<string, unknown> =>
  req.body && typeof req.body === 'object' && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
const stamp = () => new Date().toISOString();

function validationError(errors: PropError[], extra: Record<string, unknown> = {}) {
  return {
    status: 'error',
    category: 'VALIDATION_ERROR',
    message: validationMessage(errors),
    errors: errors.map((e) => ({ message: e.message, code: e.error, in: e.name, context: { propertyName: [e.name] } })),
    ...extra,
  };
}

/** Objects API: list, read, create, update, archive, and the batch endpoints (v3 and date-versioned). */
export class HsObjectsApi {
  constructor(
    private readonly portal: HubSpotPortal,
    private readonly faults: FaultTable,
  ) {}

  private opts(q: URLSearchParams | Record<string, unknown>, allValues = false): RenderOptions {
    // Lists arrive comma-separated or as repeated parameters (the SDK sends the latter).
    const get = (k: string) =>
      q instanceof URLSearchParams
        ? q.has(k)
          ? q.getAll(k).join(',')
          : null
        : Array.isArray(q[k])
          ? (q[k] as string[]).join(',')
          : ((q[k] as string | undefined) ?? null);
    const assoc = csv(get('associations'))
      .map((a) => hsType(a))
      .filter((t): t is HsType => t !== null);
    const props = get('properties');
    return {
      properties: props === null ? null : csv(props),
      propertiesWithHistory: csv(get('propertiesWithHistory')),
      associations: assoc,
      allValues,
    };
  }

  private render(req: SbRequest, o: HsObject, r: RenderOptions) {
    return renderObject(this.portal, req.baseUrl, o, r, DEFAULT_PROPERTIES[o.type]);
  }

  private notFound(id: string) {
    return hsError(404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.', { context: { id: [id] } });
  }

  list(req: SbRequest, type: HsType): SbResponse {
    const max = req.query.has('propertiesWithHistory') ? LIST_MAX_WITH_HISTORY : LIST_MAX;
    const limit = Math.min(max, Math.max(1, Number(req.query.get('limit') ?? 10) || 10));
    const archived = req.query.get('archived') === 'true';
    const after = req.query.get('after') ?? undefined;
    const r = this.opts(req.query);
    const results: HsObject[] = [];
    let next: string | null = null;
    for (const o of this.portal.objects(type, { archived, fromId: after })) {
      if (results.length === limit) {
        // HubSpot's cursor is the last id read plus one (an inclusive lower bound).
        next = String(Number(results[results.length - 1]!.id) + 1);
        break;
      }
      results.push(o);
    }
    const base = `${req.baseUrl}/hs/crm/v3/objects/${type}`;
    return json(200, {
      results: results.map((o) => this.render(req, o, r)),
      ...(next ? { paging: { next: { after: next, link: `${base}?after=${next}` } } } : {}),
    });
  }

  private find(type: HsType, id: string, idProperty: string | null, archived = false): HsObject | null {
    if (!idProperty || idProperty === 'hs_object_id') return this.portal.get(type, id, archived);
    for (const o of this.portal.objects(type, { archived })) if (o.get(idProperty) === id) return o;
    return null;
  }

  read(req: SbRequest, type: HsType, id: string): SbResponse {
    const o = this.find(type, id, req.query.get('idProperty'), req.query.get('archived') === 'true');
    return o ? json(200, this.render(req, o, this.opts(req.query))) : this.notFound(id);
  }

  /** Checks and applies `associations` of a create input; returns an error message or null. */
  private checkAssociations(type: HsType, raw: unknown): { links: Array<{ to: HsType; id: string }> } | { error: string } {
    const links: Array<{ to: HsType; id: string }> = [];
    for (const a of (Array.isArray(raw) ? raw : []) as Array<{
      to?: { id?: string };
      types?: Array<{ associationCategory?: string; associationTypeId?: number }>;
    }>) {
      const toId = String(a.to?.id ?? '');
      const typeId = a.types?.[0]?.associationTypeId;
      const target = (Object.keys(ASSOC) as string[]).find((k) => k.startsWith(`${type}>`) && ASSOC[k]!.typeId === typeId);
      if (!target) return { error: `${String(typeId)} is not a valid association type id from ${type}` };
      const to = target.split('>')[1] as HsType;
      if (!this.portal.get(to, toId)) return { error: `No ${to} with id ${toId}: association not created` };
      links.push({ to, id: toId });
    }
    return { links };
  }

  private createOne(type: HsType, input: Record<string, unknown>): { obj: HsObject } | { error: Record<string, unknown>; status: number } {
    const c = coerceProps(this.portal, type, input.properties ?? {});
    if (!c.ok) return { status: 400, error: validationError(c.errors) };
    if (type === 'tasks' && !c.values.hs_timestamp) {
      const e: PropError = {
        isValid: false,
        message: 'hs_timestamp is required',
        error: 'REQUIRED_PROPERTY',
        name: 'hs_timestamp',
        localizedErrorMessage: 'hs_timestamp is required',
        portalId: this.portal.portalId,
      };
      return { status: 400, error: validationError([e]) };
    }
    const a = this.checkAssociations(type, input.associations);
    if ('error' in a) return { status: 400, error: { status: 'error', category: 'VALIDATION_ERROR', message: a.error } };
    const obj = this.portal.create(type, c.values);
    for (const l of a.links) this.portal.associate(type, obj.id, l.to, l.id);
    return { obj };
  }

  create(req: SbRequest, type: HsType): SbResponse {
    const r = this.createOne(type, body(req));
    if ('error' in r) return json(r.status, { ...r.error, correlationId: crypto.randomUUID() });
    return json(201, this.render(req, r.obj, { properties: null, propertiesWithHistory: [], associations: [], allValues: true }));
  }

  update(req: SbRequest, type: HsType, id: string): SbResponse {
    const o = this.find(type, id, req.query.get('idProperty'));
    if (!o) return this.notFound(id);
    const c = coerceProps(this.portal, type, body(req).properties ?? {});
    if (!c.ok) return json(400, { ...validationError(c.errors), correlationId: crypto.randomUUID() });
    this.portal.update(type, o.id, c.values);
    return json(
      200,
      this.render(req, this.portal.get(type, o.id)!, { properties: null, propertiesWithHistory: [], associations: [], allValues: true }),
    );
  }

  archive(type: HsType, id: string): SbResponse {
    if (this.portal.get(type, id)) this.portal.archive(type, id);
    return { status: 204 };
  }

  /** POST batch/{read|create|update|archive|upsert}. */
  batch(req: SbRequest, type: HsType, op: string, dated: boolean): SbResponse {
    const inputs = body(req).inputs;
    if (!Array.isArray(inputs)) return hsError(400, 'VALIDATION_ERROR', 'inputs is required');
    if (inputs.length > MAX_BATCH)
      return hsError(400, 'VALIDATION_ERROR', `Batch input size must be at most ${MAX_BATCH}, got ${inputs.length}`);
    if (op === 'read' && Array.isArray(body(req).propertiesWithHistory) && inputs.length > MAX_HISTORY_INPUTS)
      return hsError(400, 'VALIDATION_ERROR', HISTORY_BATCH_MESSAGE);
    const startedAt = stamp();
    const results: unknown[] = [];
    const errors: Array<Record<string, unknown>> = [];
    const missing: string[] = [];
    const r = this.opts(body(req));
    if (op === 'archive') {
      for (const i of inputs as Array<{ id?: string }>)
        if (i.id && this.portal.get(type, String(i.id))) this.portal.archive(type, String(i.id));
      return { status: 204 };
    }
    if (op === 'read') {
      const idProperty = (body(req).idProperty as string | undefined) ?? null;
      for (const i of inputs as Array<{ id?: string }>) {
        const o = this.find(type, String(i.id ?? ''), idProperty, body(req).archived === true);
        if (o) results.push(this.render(req, o, r));
        else missing.push(String(i.id ?? ''));
      }
    } else if (op === 'update' || op === 'upsert') {
      const ids = (inputs as Array<{ id?: string }>).map((i) => String(i.id ?? ''));
      const dup = ids.find((id, k) => ids.indexOf(id) !== k);
      if (dup) return hsError(400, 'VALIDATION_ERROR', `Duplicate IDs found in batch input: [${dup}]. IDs must be unique`);
      const rejections = this.faults.takeRejections({ crm: 'hs', method: req.method, path: req.path });
      for (const [k, input] of (inputs as Array<Record<string, unknown>>).entries()) {
        const id = String(input.id ?? '');
        const idProperty = (input.idProperty as string | undefined) ?? null;
        const o = this.find(type, id, idProperty);
        if (!o && op === 'upsert' && idProperty) {
          const made = this.createOne(type, { properties: { ...(input.properties as object), [idProperty]: id } });
          if ('obj' in made) results.push({ ...this.render(req, made.obj, { ...r, allValues: true }), new: true });
          else errors.push({ ...made.error, context: { ids: [id] } });
          continue;
        }
        if (!o) {
          missing.push(id);
          continue;
        }
        const reject = rejectionFor(rejections, o.id, k + 1);
        if (reject) {
          const e: PropError = {
            isValid: false,
            message: reject.message ?? 'Validation rule failed for this record',
            error: reject.statusCode ?? 'VALIDATION_ERROR',
            name: reject.fields?.[0] ?? 'properties',
            localizedErrorMessage: reject.message ?? 'Validation rule failed',
            portalId: this.portal.portalId,
          };
          errors.push(validationError([e], { context: { ids: [o.id] } }));
          continue;
        }
        const c = coerceProps(this.portal, type, input.properties ?? {});
        if (!c.ok) {
          errors.push(validationError(c.errors, { context: { ids: [o.id] } }));
          continue;
        }
        this.portal.update(type, o.id, c.values);
        const rendered = this.render(req, this.portal.get(type, o.id)!, { ...r, allValues: true });
        results.push(op === 'upsert' ? { ...rendered, new: false } : rendered);
      }
    } else if (op === 'create') {
      (inputs as Array<Record<string, unknown>>).forEach((input) => {
        const made = this.createOne(type, input);
        if ('obj' in made) results.push(this.render(req, made.obj, { ...r, allValues: true }));
        else
          errors.push({
            ...made.error,
            context: { ...(input.objectWriteTraceId ? { objectWriteTraceId: [String(input.objectWriteTraceId)] } : {}) },
          });
      });
    } else return hsError(404, 'OBJECT_NOT_FOUND', `Unknown batch operation ${op}`);
    if (missing.length) {
      errors.push({
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message: `Could not get some ${SINGULAR[type]} objects, they may be deleted or not exist. Check that ids are valid.`,
        context: { ids: missing },
      });
    }
    const base = { status: 'COMPLETE', results, startedAt, completedAt: stamp() };
    if (!errors.length) return json(op === 'create' ? 201 : 200, base);
    // v3 answers partial failures with 207 Multi-Status; date-based versions (2026-09) with 200.
    return json(dated ? 200 : 207, { ...base, numErrors: errors.length, errors });
  }
}
