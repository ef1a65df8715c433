import type { HsType, PropertyDef } from './catalog.ts';
import type { HubSpotPortal } from './portal.ts';

export interface PropError {
  isValid: false;
  message: string;
  error: string;
  name: string;
  localizedErrorMessage: string;
  portalId: number;
}

const MIDNIGHT = 86_400_000;

function normalise(def: PropertyDef, raw: unknown, portal: HubSpotPortal): { value: string } | { error: string; message: string } {
  if (raw === '' || raw === null) return { value: '' };
  const s = typeof raw === 'string' ? raw.trim() : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : JSON.stringify(raw);
  switch (def.type) {
    case 'number':
      return /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)
        ? { value: s }
        : { error: 'INVALID_FLOAT', message: `${s} was not a valid number.` };
    case 'bool':
      return s === 'true' || s === 'false' ? { value: s } : { error: 'INVALID_BOOLEAN', message: `${s} was not a valid boolean.` };
    case 'date':
    case 'datetime': {
      let t: number;
      if (/^\d{1,15}$/.test(s)) t = Number(s);
      else if (/^\d{4}-\d{2}-\d{2}$/.test(s)) t = Date.parse(`${s}T00:00:00Z`);
      else t = /^\d{4}-\d{2}-\d{2}T/.test(s) ? Date.parse(s) : NaN;
      if (!Number.isFinite(t)) return { error: 'INVALID_DATE', message: `${s} was not a valid long or ISO 8601 date.` };
      if (def.type === 'date') {
        if (t % MIDNIGHT !== 0)
          return { error: 'INVALID_DATE', message: `${s} is not midnight UTC: date properties take a date without time.` };
        return { value: new Date(t).toISOString().slice(0, 10) };
      }
      if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return { value: `${s}T00:00:00Z` };
      return { value: /Z$/.test(s) ? s : new Date(t).toISOString() };
    }
    case 'enumeration': {
      if (def.name === 'hubspot_owner_id') {
        return portal.owners().some((o) => o.id === s)
          ? { value: s }
          : { error: 'INVALID_OWNER_ID', message: `${s} is not a valid owner id` };
      }
      const allowed = def.options.map((o) => o.value);
      const values = def.fieldType === 'checkbox' ? s.split(';') : [s];
      const bad = values.find((v) => !allowed.includes(v));
      return bad === undefined
        ? { value: s }
        : { error: 'INVALID_OPTION', message: `${bad} was not one of the allowed options: [${allowed.join(', ')}]` };
    }
    default:
      return s.length > 65_536 ? { error: 'INVALID_STRING', message: `${def.name} is longer than 65536 characters` } : { value: s };
  }
}

/**
 * Validates written property values the way HubSpot does (unknown property, read-only value,
 * invalid option, number, date) and returns them normalised to HubSpot's string forms.
 */
export function coerceProps(
  portal: HubSpotPortal,
  type: HsType,
  props: unknown,
): { ok: true; values: Record<string, string | null> } | { ok: false; errors: PropError[] } {
  const defs = portal.properties[type];
  const values: Record<string, string | null> = {};
  const errors: PropError[] = [];
  const err = (name: string, error: string, message: string) =>
    errors.push({ isValid: false, message, error, name, localizedErrorMessage: message, portalId: portal.portalId });
  if (typeof props !== 'object' || props === null || Array.isArray(props))
    return {
      ok: false,
      errors: [
        {
          isValid: false,
          message: 'properties must be an object',
          error: 'INVALID_INPUT',
          name: 'properties',
          localizedErrorMessage: 'properties must be an object',
          portalId: portal.portalId,
        },
      ],
    };
  for (const [name, raw] of Object.entries(props as Record<string, unknown>)) {
    const def = defs.get(name);
    if (!def || def.archived) {
      err(name, 'PROPERTY_DOESNT_EXIST', `Property "${name}" does not exist`);
      continue;
    }
    if (def.readOnlyValue) {
      err(name, 'READ_ONLY_VALUE', `${name} is a read only property; its value cannot be set.`);
      continue;
    }
    const r = normalise(def, raw, portal);
    if ('error' in r) err(name, r.error, r.message);
    else values[name] = r.value;
  }
  return errors.length ? { ok: false, errors } : { ok: true, values };
}

export const validationMessage = (errors: PropError[]) => `Property values were not valid: ${JSON.stringify(errors)}`;
