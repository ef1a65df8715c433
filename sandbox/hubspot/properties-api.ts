import { json, type SbRequest, type SbResponse } from '../http/types.ts';
import { FIELD_TYPES, type HsType, type PropertyDef, type PropertyGroup, type PropType } from './catalog.ts';
import type { HubSpotPortal } from './portal.ts';
import { hsError } from './render.ts';

const TYPES = new Set(['string', 'number', 'date', 'datetime', 'enumeration', 'bool', 'phone_number']);

export function renderProperty(p: PropertyDef) {
  return {
    updatedAt: p.updatedAt,
    createdAt: p.createdAt,
    name: p.name,
    label: p.label,
    type: p.type,
    fieldType: p.fieldType,
    description: p.description,
    groupName: p.groupName,
    options: p.options,
    ...(p.custom ? { createdUserId: '1', updatedUserId: '1' } : {}),
    displayOrder: p.displayOrder,
    calculated: p.calculated,
    externalOptions: false,
    archived: p.archived,
    hasUniqueValue: p.hasUniqueValue,
    hidden: p.hidden,
    ...(p.custom ? {} : { hubspotDefined: true }),
    modificationMetadata: { archivable: p.custom, readOnlyDefinition: p.readOnlyDefinition, readOnlyValue: p.readOnlyValue },
    formField: p.formField,
    dataSensitivity: 'non_sensitive',
  };
}

const renderGroup = (g: PropertyGroup) => ({ name: g.name, label: g.label, displayOrder: g.displayOrder, archived: g.archived });
const body = (req: SbRequest) => (req.body && typeof req.body === 'object' ? (req.body as Record<string, unknown>) : {});

/** Properties API (v3): properties and property groups, with HubSpot's validation and 409 on duplicates. */
export class HsPropertiesApi {
  constructor(private readonly portal: HubSpotPortal) {}

  private validate(type: HsType, b: Record<string, unknown>): string | null {
    const name = String(b.name ?? '');
    if (!/^[a-z][a-z0-9_]*$/.test(name))
      return `Property name "${name}" must start with a lowercase letter and contain only lowercase letters, digits and underscores`;
    if (!b.label) return 'label is required';
    if (!TYPES.has(String(b.type))) return `type must be one of ${[...TYPES].join(', ')}`;
    const allowed = FIELD_TYPES[b.type as PropType];
    if (!allowed.includes(String(b.fieldType)))
      return `${String(b.fieldType)} is not a valid fieldType for a ${String(b.type)} property; use one of ${allowed.join(', ')}`;
    if (!this.portal.groups[type].has(String(b.groupName))) return `Property group ${String(b.groupName)} does not exist`;
    if (b.type === 'enumeration' && (!Array.isArray(b.options) || !b.options.length)) return 'enumeration properties need options';
    return null;
  }

  private build(b: Record<string, unknown>, prev?: PropertyDef): PropertyDef {
    const now = new Date(this.portal.now()).toISOString();
    const options = (Array.isArray(b.options) ? b.options : (prev?.options ?? [])) as Array<Record<string, unknown>>;
    return {
      name: String(b.name ?? prev?.name),
      label: String(b.label ?? prev?.label),
      type: (b.type ?? prev?.type) as PropType,
      fieldType: String(b.fieldType ?? prev?.fieldType),
      groupName: String(b.groupName ?? prev?.groupName),
      description: String(b.description ?? prev?.description ?? ''),
      options: options.map((o, i) => ({
        label: String(o.label ?? o.value),
        value: String(o.value ?? o.label),
        displayOrder: Number(o.displayOrder ?? i),
        hidden: Boolean(o.hidden ?? false),
        ...(o.description ? { description: String(o.description) } : {}),
      })),
      displayOrder: Number(b.displayOrder ?? prev?.displayOrder ?? -1),
      calculated: false,
      hasUniqueValue: Boolean(b.hasUniqueValue ?? prev?.hasUniqueValue ?? false),
      hidden: Boolean(b.hidden ?? prev?.hidden ?? false),
      formField: Boolean(b.formField ?? prev?.formField ?? false),
      readOnlyValue: false,
      readOnlyDefinition: false,
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
      custom: true,
      archived: false,
    };
  }

  handle(req: SbRequest, type: HsType, rest: string[]): SbResponse {
    const props = this.portal.properties[type];
    const groups = this.portal.groups[type];
    const b = body(req);
    const m = req.method;
    if (rest[0] === 'groups') {
      const name = rest[1];
      if (!name && m === 'GET') return json(200, { results: [...groups.values()].filter((g) => !g.archived).map(renderGroup) });
      if (!name && m === 'POST') {
        const gname = String(b.name ?? '');
        if (!/^[a-z][a-z0-9_]*$/.test(gname) || !b.label)
          return hsError(400, 'VALIDATION_ERROR', 'A property group needs a lowercase name and a label');
        if (groups.get(gname) && !groups.get(gname)!.archived)
          return hsError(409, 'OBJECT_ALREADY_EXISTS', `A property group named '${gname}' already exists.`);
        const g = { name: gname, label: String(b.label), displayOrder: Number(b.displayOrder ?? -1), archived: false };
        groups.set(gname, g);
        return json(201, renderGroup(g));
      }
      const g = name ? groups.get(name) : undefined;
      if (!g || g.archived) return hsError(404, 'OBJECT_NOT_FOUND', `Unable to find property group ${name}`);
      if (m === 'GET') return json(200, renderGroup(g));
      if (m === 'PATCH') {
        Object.assign(g, { label: b.label ?? g.label, displayOrder: b.displayOrder ?? g.displayOrder });
        return json(200, renderGroup(g));
      }
      if (m === 'DELETE') {
        g.archived = true;
        return { status: 204 };
      }
    }
    if (rest[0] === 'batch') {
      const inputs = (Array.isArray(b.inputs) ? b.inputs : []) as Array<Record<string, unknown>>;
      const startedAt = new Date().toISOString();
      if (rest[1] === 'read') {
        const results = inputs
          .map((i) => props.get(String(i.name)))
          .filter((p): p is PropertyDef => !!p && (b.archived === true) === p.archived);
        return json(200, { status: 'COMPLETE', results: results.map(renderProperty), startedAt, completedAt: new Date().toISOString() });
      }
      if (rest[1] === 'create') {
        const results: unknown[] = [];
        const errors: unknown[] = [];
        for (const i of inputs) {
          const problem =
            this.validate(type, i) ??
            (props.get(String(i.name))?.archived === false ? `Property named '${String(i.name)}' already exists.` : null);
          if (problem)
            errors.push({
              status: 'error',
              category: problem.includes('already exists') ? 'OBJECT_ALREADY_EXISTS' : 'VALIDATION_ERROR',
              message: problem,
              context: { name: [String(i.name)] },
            });
          else {
            const p = this.build(i);
            props.set(p.name, p);
            results.push(renderProperty(p));
          }
        }
        const base = { status: 'COMPLETE', results, startedAt, completedAt: new Date().toISOString() };
        return errors.length ? json(207, { ...base, numErrors: errors.length, errors }) : json(201, base);
      }
    }
    const name = rest[0];
    if (!name && m === 'GET')
      return json(200, {
        results: [...props.values()].filter((p) => (req.query.get('archived') === 'true') === p.archived).map(renderProperty),
      });
    if (!name && m === 'POST') {
      const problem = this.validate(type, b);
      if (problem) return hsError(400, 'VALIDATION_ERROR', problem);
      const existing = props.get(String(b.name));
      if (existing && !existing.archived)
        return hsError(409, 'OBJECT_ALREADY_EXISTS', `Property named '${String(b.name)}' already exists.`);
      const p = this.build(b);
      props.set(p.name, p);
      return json(201, renderProperty(p));
    }
    const p = name ? props.get(name) : undefined;
    if (!p || (p.archived && m !== 'GET')) return hsError(404, 'OBJECT_NOT_FOUND', `Unable to find property ${name}`);
    if (m === 'GET') return json(200, renderProperty(p));
    if (!p.custom) return hsError(400, 'VALIDATION_ERROR', `${p.name} is a HubSpot-defined property; its definition cannot be changed`);
    if (m === 'PATCH') {
      const next = this.build({ ...b, name: p.name, type: b.type ?? p.type }, p);
      props.set(p.name, next);
      return json(200, renderProperty(next));
    }
    if (m === 'DELETE') {
      p.archived = true;
      return { status: 204 };
    }
    return hsError(405, 'METHOD_NOT_ALLOWED', `${m} is not supported here`);
  }
}
