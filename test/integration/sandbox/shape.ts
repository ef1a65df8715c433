/**
 * Compares a sandbox response with a recorded real one by shape: every key the real API sent
 * must be there with the same JSON type. A recorded null matches anything; a sandbox null
 * matches a recorded scalar (nullable fields); extra sandbox keys are allowed.
 */
export function shapeDiff(recorded: unknown, actual: unknown, path = '$'): string[] {
  if (recorded === null || recorded === undefined) return [];
  if (actual === null && typeof recorded !== 'object') return [];
  if (Array.isArray(recorded)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${kind(actual)}`];
    if (recorded.length === 0) return [];
    if (actual.length === 0) return [`${path}: expected items, got an empty array`];
    return shapeDiff(merge(recorded), merge(actual), `${path}[]`);
  }
  if (typeof recorded === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${path}: expected an object, got ${kind(actual)}`];
    const out: string[] = [];
    for (const [k, v] of Object.entries(recorded as Record<string, unknown>)) {
      if (!(k in (actual as Record<string, unknown>))) out.push(`${path}.${k}: missing`);
      else out.push(...shapeDiff(v, (actual as Record<string, unknown>)[k], `${path}.${k}`));
    }
    return out;
  }
  return typeof recorded === typeof actual ? [] : [`${path}: expected ${typeof recorded}, got ${kind(actual)}`];
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** One element whose keys are the union of every element's keys (first non-null value wins). */
function merge(items: unknown[]): unknown {
  const objects = items.filter((i) => typeof i === 'object' && i !== null && !Array.isArray(i)) as Array<Record<string, unknown>>;
  if (objects.length !== items.filter((i) => i !== null).length) return items.find((i) => i !== null) ?? null;
  const out: Record<string, unknown> = {};
  for (const o of objects) {
    for (const [k, v] of Object.entries(o)) {
      if (!(k in out) || out[k] === null) out[k] = v;
      else if (Array.isArray(out[k]) && Array.isArray(v)) out[k] = [...(out[k] as unknown[]), ...v];
      else if (typeof out[k] === 'object' && typeof v === 'object' && v !== null && !Array.isArray(v)) out[k] = merge([out[k], v]);
    }
  }
  return out;
}
