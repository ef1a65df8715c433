import { type FaultTable, rejectionFor } from '../faults.ts';
import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { isWellFormedSfId, toSfId18 } from '../ids.ts';
import { formatSfValue } from '../soql/format.ts';
import { fieldOf, type ObjectDef } from '../soql/schema.ts';
import { notFound, type RecordError, recordError, sfError } from './errors.ts';
import type { SalesforceOrg } from './org.ts';
import { coerceRecord, missingRequired } from './values.ts';

const MAX_COLLECTION = 200;

export interface SaveResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

const fail = (error: RecordError, id?: string): SaveResult => ({ ...(id ? { id } : {}), success: false, errors: [error] });

export class SfRecords {
  constructor(
    private readonly org: SalesforceOrg,
    private readonly faults: FaultTable,
  ) {}

  private objectOr404(name: string): ObjectDef | SbResponse {
    const obj = this.org.describe(name);
    return obj ?? sfError(404, 'NOT_FOUND', `The requested resource does not exist`);
  }

  /** GET sobjects/{type}/{id}: every visible field (or ?fields=a,b). */
  get(req: SbRequest, type: string, id: string, version: string): SbResponse {
    const obj = this.objectOr404(type);
    if ('status' in obj) return obj;
    if (!isWellFormedSfId(id)) return sfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${id}`);
    const row = this.org.byId(obj.name, id);
    if (!row || row.get('IsDeleted') === true) return notFound();
    const wanted = req.query
      .get('fields')
      ?.split(',')
      .map((f) => f.trim())
      .filter(Boolean);
    const out: Record<string, unknown> = {
      attributes: { type: obj.name, url: `/services/data/v${version}/sobjects/${obj.name}/${row.id}` },
    };
    for (const f of wanted ? wanted.map((w) => fieldOf(obj, w)).filter((f) => f !== undefined) : obj.fields)
      out[f.name] = formatSfValue(f.type, row.get(f.name));
    return json(200, out);
  }

  /** Creates one record; used by POST sobjects/{type} and collections. */
  createOne(obj: ObjectDef, body: Record<string, unknown>): SaveResult {
    const r = coerceRecord(obj, body, 'create');
    if (!r.ok) return fail(r.error);
    const missing = missingRequired(obj.name, r.values);
    if (missing) return fail(missing);
    if (obj.name === 'PermissionSetAssignment') {
      const a = this.org.assignPermissionSet(r.values);
      return 'error' in a ? fail(a.error) : { id: a.id, success: true, errors: [] };
    }
    const rec = this.org.createRecord(obj.name, r.values);
    return { id: rec.id, success: true, errors: [] };
  }

  updateOne(obj: ObjectDef, id: unknown, body: Record<string, unknown>, apply = true): SaveResult {
    if (typeof id !== 'string' || !id) return fail(recordError('MISSING_ARGUMENT', 'Id not specified in an update call'));
    if (!isWellFormedSfId(id)) return fail(recordError('MALFORMED_ID', `malformed id ${id}`));
    const full = toSfId18(id);
    const row = this.org.byId(obj.name, full);
    if (!row) return fail(recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id'));
    if (row.get('IsDeleted') === true) return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted'), full);
    const r = coerceRecord(obj, body, 'update', ['id', 'Id']);
    if (!r.ok) return fail(r.error, full);
    if (apply) this.org.updateRecord(obj.name, full, r.values);
    return { id: full, success: true, errors: [] };
  }

  create(req: SbRequest, type: string, version: string): SbResponse {
    const obj = this.objectOr404(type);
    if ('status' in obj) return obj;
    if (!isObject(req.body)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body is either invalid or incomplete.');
    const res = this.createOne(obj, req.body);
    if (!res.success)
      return json(
        400,
        res.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
      );
    return json(201, res, { Location: `/services/data/v${version}/sobjects/${obj.name}/${res.id}` });
  }

  update(req: SbRequest, type: string, id: string): SbResponse {
    const obj = this.objectOr404(type);
    if ('status' in obj) return obj;
    if (!isObject(req.body)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body is either invalid or incomplete.');
    const res = this.updateOne(obj, id, req.body);
    if (res.success) return { status: 204 };
    const e = res.errors[0]!;
    if (e.statusCode === 'INVALID_CROSS_REFERENCE_KEY' || e.statusCode === 'MALFORMED_ID') return notFound();
    return json(400, [{ message: e.message, errorCode: e.statusCode, fields: e.fields }]);
  }

  remove(type: string, id: string): SbResponse {
    const obj = this.objectOr404(type);
    if ('status' in obj) return obj;
    const row = isWellFormedSfId(id) ? this.org.byId(obj.name, id) : null;
    if (!row) return notFound();
    if (row.get('IsDeleted') === true) return sfError(404, 'ENTITY_IS_DELETED', 'entity is deleted');
    this.org.deleteRecord(row.id);
    return { status: 204 };
  }

  /** PATCH sobjects/{type}/{extField}/{value}: update the matching record or create one. */
  upsertOne(req: SbRequest, type: string, field: string, value: string, version: string): SbResponse {
    const obj = this.objectOr404(type);
    if ('status' in obj) return obj;
    if (!isObject(req.body)) return sfError(400, 'JSON_PARSER_ERROR', 'The request body is either invalid or incomplete.');
    const res = this.upsertRecord(obj, field, value, req.body);
    if ('response' in res) return res.response;
    if (!res.success)
      return json(
        400,
        res.errors.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields })),
      );
    return json(
      res.created ? 201 : 200,
      res,
      res.created ? { Location: `/services/data/v${version}/sobjects/${obj.name}/${res.id}` } : undefined,
    );
  }

  private upsertRecord(
    obj: ObjectDef,
    field: string,
    value: unknown,
    body: Record<string, unknown>,
  ): SaveResult | { response: SbResponse } {
    const f = fieldOf(obj, field);
    if (!f || (!f.externalId && f.name !== 'Id')) {
      return { response: sfError(404, 'NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${field}`) };
    }
    if (f.name === 'Id') {
      if (typeof value === 'string' && value && this.org.byId(obj.name, value))
        return { ...this.updateOne(obj, value, body), created: false };
      return { ...this.createOne(obj, body), created: true };
    }
    const matches: string[] = [];
    // The term lets the org skip generated records that cannot match (they never carry custom values).
    const where = {
      kind: 'cmp' as const,
      path: [f.name],
      pos: 0,
      op: '=' as const,
      value: { kind: 'string' as const, value: String(value), pos: 0 },
    };
    for (const row of this.org.rows(obj.name, { all: false, where })) if (row.get(f.name) === value) matches.push(row.id);
    if (matches.length > 1)
      return {
        response: json(
          300,
          matches.map((id) => `/services/data/v66.0/sobjects/${obj.name}/${id}`),
        ),
      };
    if (matches.length === 1) return { ...this.updateOne(obj, matches[0], body), created: false };
    return { ...this.createOne(obj, { ...body, [f.name]: value }), created: true };
  }

  /** sObject Collections: POST (create), PATCH (update), DELETE; per-record results in order. */
  collection(req: SbRequest, method: string, upsert: { type: string; field: string } | null): SbResponse {
    if (method === 'DELETE') return this.collectionDelete(req);
    if (!isObject(req.body) || !Array.isArray(req.body.records))
      return sfError(400, 'JSON_PARSER_ERROR', 'The request body is either invalid or incomplete.');
    const records = req.body.records as unknown[];
    if (records.length > MAX_COLLECTION)
      return sfError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
    const allOrNone = req.body.allOrNone === true;
    const rejections = this.faults.takeRejections({ crm: 'sf', method, path: req.path });
    const results: SaveResult[] = [];
    const apply: Array<() => void> = [];
    records.forEach((raw, i) => {
      const rec = isObject(raw) ? raw : {};
      const attrs = rec.attributes as { type?: string } | undefined;
      if (!attrs || typeof attrs.type !== 'string') {
        const r = fail(
          recordError(
            'JSON_PARSER_ERROR',
            'Nested object for polymorphic foreign key must have an attributes field before any other fields.',
          ),
        );
        results.push(upsert ? { ...r, created: false } : r);
        return;
      }
      const obj = this.org.describe(attrs.type);
      if (!obj) {
        results.push(fail(recordError('INVALID_TYPE', `sObject type '${attrs.type}' is not supported.`)));
        return;
      }
      const id = (rec.id ?? rec.Id) as string | undefined;
      const reject = rejectionFor(rejections, id ? toSfId18(id) : undefined, i + 1);
      if (reject) {
        results.push(
          fail(
            recordError(
              reject.statusCode ?? 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
              reject.message ?? 'Validation rule failed for this record',
              reject.fields ?? [],
            ),
            id ? toSfId18(id) : undefined,
          ),
        );
        return;
      }
      if (upsert) {
        const body = { ...rec };
        delete body.attributes;
        const ext = fieldOf(obj, upsert.field);
        const r = this.upsertRecord(obj, upsert.field, ext ? rec[ext.name] : undefined, body);
        results.push(
          'response' in r
            ? fail(recordError('INVALID_FIELD', `Field name provided, ${upsert.field} does not match an External ID for ${obj.name}`))
            : r,
        );
        return;
      }
      if (method === 'POST') {
        if (allOrNone) {
          const check = coerceRecord(obj, rec, 'create');
          const missing = check.ok ? missingRequired(obj.name, check.values) : null;
          if (!check.ok || missing) results.push(fail(check.ok ? missing! : check.error));
          else {
            const at = results.length;
            results.push({ success: true, errors: [] });
            apply.push(() => (results[at] = this.createOne(obj, rec)));
          }
        } else results.push(this.createOne(obj, rec));
        return;
      }
      const r = this.updateOne(obj, id, rec, !allOrNone);
      results.push(r);
      if (allOrNone && r.success) apply.push(() => this.updateOne(obj, id, rec));
    });
    if (allOrNone) {
      if (results.every((r) => r.success)) for (const f of apply) f();
      else {
        for (let i = 0; i < results.length; i++) {
          if (results[i]!.success) {
            results[i] = {
              ...(results[i]!.id ? { id: results[i]!.id } : {}),
              success: false,
              errors: [
                recordError(
                  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
                  'Record rolled back because not all records were valid and the request was using AllOrNone header',
                ),
              ],
            };
          }
        }
      }
    }
    return json(200, results);
  }

  private collectionDelete(req: SbRequest): SbResponse {
    const ids = (req.query.get('ids') ?? '').split(',').filter(Boolean);
    if (ids.length > MAX_COLLECTION)
      return sfError(400, 'EXCEEDED_ID_LIMIT', 'record limit reached. cannot submit more than 200 records into this call');
    return json(
      200,
      ids.map((id): SaveResult => {
        if (!isWellFormedSfId(id)) return fail(recordError('MALFORMED_ID', `malformed id ${id}`));
        const full = toSfId18(id);
        const obj = this.org
          .objectNames()
          .map((n) => this.org.describe(n)!)
          .find((o) => o.keyPrefix === full.slice(0, 3));
        const row = obj ? this.org.byId(obj.name, full) : null;
        if (!row) return fail(recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id'));
        if (row.get('IsDeleted') === true) return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted'), full);
        this.org.deleteRecord(full);
        return { id: full, success: true, errors: [] };
      }),
    );
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
