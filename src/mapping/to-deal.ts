import { Deal, type ExtraValue, type Source, StageChange } from '../core/deal.ts';
import { compileDateParser, type DateParser } from './dates.ts';
import { isBlank, ParseFailure, parseBoolean, parseNumber } from './parse-value.ts';
import { CANONICAL_FIELDS, type FieldSpec, type Mapping, type ValueType } from './schema.ts';

/** A source record as the mapper needs it (connectors' RawRecord fits this shape). */
export interface MappableRecord {
  id: string;
  data: Record<string, unknown>;
  /** 1-based data row for file sources. */
  row?: number;
}

/** Why one record could not be mapped: which record, which field, what was wrong. */
export interface RecordError {
  recordId: string;
  row?: number;
  field: string;
  reason: string;
}

export type MapResult = { ok: true; deal: Deal } | { ok: false; error: RecordError };

export interface MapContext {
  tenantId: string;
  source?: Source;
}

/**
 * Compiles a dotted path. At each level an exact key holding the rest of the path wins over
 * nesting (CSV headers and lookup columns may contain dots): `a.b.c` reads `{ 'a.b.c' }`, then
 * `{ a: { 'b.c' } }`, then `{ a: { b: { c } } }`.
 */
export function compilePath(path: string): (data: Record<string, unknown>) => unknown {
  const parts = path.split('.');
  const rests = parts.map((_, i) => parts.slice(i).join('.'));
  return (data) => {
    let cur: unknown = data;
    for (let i = 0; i < parts.length; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      const obj = cur as Record<string, unknown>;
      if (Object.hasOwn(obj, rests[i]!)) return obj[rests[i]!];
      cur = Object.hasOwn(obj, parts[i]!) ? obj[parts[i]!] : undefined;
    }
    return cur;
  };
}

/** Reads a dotted path once (compile with compilePath for many records). */
export const readPath = (data: Record<string, unknown>, path: string): unknown => compilePath(path)(data);

type Reader = (rec: MappableRecord) => unknown;

function compileReader(spec: FieldSpec): Reader {
  if (spec.template) {
    const tpl = spec.template;
    const parts = [...tpl.matchAll(/\{([^}]+)\}/g)].map((m) => ({ token: m[0], read: compilePath(m[1]!) }));
    return (rec) => {
      let out = tpl;
      for (const p of parts) out = out.replace(p.token, String(p.read(rec.data) ?? ''));
      return out;
    };
  }
  if (spec.from === undefined) return () => undefined;
  const paths = Array.isArray(spec.from) ? spec.from : [spec.from];
  const readers = paths.map((p): Reader => {
    if (p === '$row') return (rec) => rec.row;
    const read = compilePath(p);
    return (rec) => read(rec.data);
  });
  if (readers.length === 1) return readers[0]!;
  return (rec) => {
    for (const read of readers) {
      const v = read(rec);
      if (!isBlank(v)) return v;
    }
    return undefined;
  };
}

function converter(type: ValueType, spec: FieldSpec, parseDate: DateParser): (raw: unknown) => unknown {
  switch (type) {
    case 'string':
      return (raw) => (typeof raw === 'string' ? raw.trim() : String(raw));
    case 'number':
      return (raw) => parseNumber(raw, spec.decimal);
    case 'integer':
      return (raw) => {
        const n = parseNumber(raw, spec.decimal);
        if (!Number.isInteger(n)) throw new ParseFailure(`not a whole number: ${n}`);
        return n;
      };
    case 'percent':
      return (raw) => parseNumber(raw, spec.decimal) / 100;
    case 'fraction':
      return (raw) => parseNumber(raw, spec.decimal);
    case 'date':
    case 'datetime':
      return parseDate;
    case 'boolean':
      return parseBoolean;
    case 'stage_history':
      return (raw) => parseStageHistory(raw, parseDate);
  }
}

function parseStageHistory(raw: unknown, parseDate: DateParser): StageChange[] {
  if (!Array.isArray(raw)) throw new ParseFailure('expected a list of stage changes');
  return raw.map((e, i) => {
    const entry = e as Record<string, unknown>;
    const r = StageChange.safeParse({ ...entry, enteredAt: parseDate(entry.enteredAt) });
    if (!r.success) throw new ParseFailure(`stage change ${i}: ${r.error.issues[0]?.message}`);
    return r.data;
  });
}

interface CompiledField {
  key: string;
  read: Reader;
  apply: (raw: unknown) => unknown;
}

function compileField(key: string, spec: FieldSpec, timezone: string | undefined): CompiledField {
  const canonicalType = (CANONICAL_FIELDS as Record<string, ValueType>)[key];
  const type: ValueType = spec.type ?? canonicalType ?? 'string';
  const zone = spec.timezone ?? timezone;
  const convert = converter(type, spec, compileDateParser({ formats: spec.formats ?? [], ...(zone ? { timezone: zone } : {}) }));
  const values = spec.values ? new Map(Object.entries(spec.values).map(([k, v]) => [k.trim().toLowerCase(), v])) : null;
  const apply = (raw: unknown): unknown => {
    let v: unknown = raw;
    if (isBlank(v)) v = spec.default ?? null;
    else if (values) {
      const hit = values.get(String(v).trim().toLowerCase());
      if (hit !== undefined) return hit === null ? null : convert(hit);
      if (spec.otherwise === undefined) {
        throw new ParseFailure(`value "${String(v)}" is not in the mapping's values (${[...values.keys()].join(', ')})`);
      }
      v = spec.otherwise;
    }
    if (v === null) {
      if (spec.required) throw new ParseFailure('is required but empty');
      return null;
    }
    return convert(v);
  };
  return { key, read: compileReader(spec), apply };
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const dot = key.indexOf('.');
  if (dot < 0) {
    target[key] = value;
    return;
  }
  const head = key.slice(0, dot);
  target[head] ??= {};
  (target[head] as Record<string, unknown>)[key.slice(dot + 1)] = value;
}

/** A mapping compiled once into per-field readers, so mapping a record is a tight loop. */
export type CompiledMapping = (rec: MappableRecord, ctx: MapContext) => MapResult;

export function compileMapping(mapping: Mapping): CompiledMapping {
  const fields = Object.entries(mapping.fields).map(([k, spec]) => compileField(k, spec, mapping.timezone));
  const idPath = mapping.id;
  const readId = compilePath(idPath);
  return (rec, ctx) => {
    const idRaw = idPath === '$row' ? rec.row : readId(rec.data);
    // A CRM record carries its own id (rec.id) when the mapped path is missing. A file row's
    // rec.id is only its line: a row without an id is rejected, never given its line as an id.
    const fromFile = rec.row !== undefined;
    // An id is text or a number: an object or a list would become "[object Object]" and merge records.
    const scalarId = typeof idRaw === 'string' || typeof idRaw === 'number' || typeof idRaw === 'bigint';
    const recordId = isBlank(idRaw) || !scalarId ? rec.id : String(idRaw).trim();
    const err = (field: string, reason: string): MapResult => ({
      ok: false,
      error: { recordId, ...(fromFile ? { row: rec.row } : {}), field, reason },
    });
    if (isBlank(idRaw) && (fromFile || isBlank(rec.id))) return err(idPath, `is empty: every ${fromFile ? 'row' : 'record'} needs an id`);
    if (!isBlank(idRaw) && !scalarId)
      return err(
        idPath,
        `is not text or a number (got ${Array.isArray(idRaw) ? 'a list' : typeof idRaw === 'object' ? 'an object' : typeof idRaw})`,
      );
    const out: Record<string, unknown> = {
      tenantId: ctx.tenantId,
      source: ctx.source ?? mapping.source,
      externalId: recordId,
      stage: {},
      extras: {},
    };
    for (const f of fields) {
      let value: unknown;
      try {
        value = f.apply(f.read(rec));
      } catch (e) {
        if (e instanceof ParseFailure) return err(f.key, e.message);
        throw e;
      }
      if (f.key.startsWith('extras.')) (out.extras as Record<string, ExtraValue>)[f.key.slice(7)] = value as ExtraValue;
      else setPath(out, f.key, value);
    }
    const parsed = Deal.safeParse(out);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return err(issue.path.map(String).join('.'), issue.message);
    }
    return { ok: true, deal: parsed.data };
  };
}

/** Maps one record (compile once with compileMapping for many). */
export function toDeal(rec: MappableRecord, mapping: Mapping, ctx: MapContext): MapResult {
  return compileMapping(mapping)(rec, ctx);
}
