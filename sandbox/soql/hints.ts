import { toSfId18 } from '../ids.ts';
import type { Cond } from './parse.ts';

/** The top-level AND terms of a WHERE clause (a lone term is its own list). */
export function conjuncts(where: Cond | null | undefined): Cond[] {
  if (!where) return [];
  return where.kind === 'and' ? where.items : [where];
}

/**
 * Ids a top-level `field = 'x'` or `field IN (...)` term pins the result to, or null when no
 * such term exists. Lets the org look up rows directly instead of scanning every record.
 */
export function pinnedIds(where: Cond | null | undefined, field: string): Set<string> | null {
  for (const c of conjuncts(where)) {
    if (c.kind !== 'cmp' && c.kind !== 'in') continue;
    if (c.path.length !== 1 || c.path[0]!.toLowerCase() !== field.toLowerCase()) continue;
    if (c.kind === 'cmp' && c.op === '=' && c.value.kind === 'string') return new Set([toSfId18(c.value.value)]);
    if (c.kind === 'in' && !c.not) {
      return new Set(c.values.flatMap((v) => (v.kind === 'string' ? [toSfId18(v.value)] : [])));
    }
  }
  return null;
}

/** True when a top-level term needs a non-null value of a custom (`__c`) field. */
export function requiresCustomValue(where: Cond | null | undefined): boolean {
  return conjuncts(where).some((c) => {
    if (c.kind !== 'cmp' && c.kind !== 'in' && c.kind !== 'like') return false;
    if (!c.path[c.path.length - 1]!.toLowerCase().endsWith('__c') || c.path.length !== 1) return false;
    if (c.kind === 'like') return true;
    if (c.kind === 'in') return !c.not && c.values.every((v) => v.kind !== 'null');
    return (c.op === '=' && c.value.kind !== 'null') || (c.op === '!=' && c.value.kind === 'null');
  });
}

/** True when a top-level term is `field = false`: rows with the field true can be skipped. */
export function requiresFalse(where: Cond | null | undefined, field: string): boolean {
  return conjuncts(where).some(
    (c) =>
      c.kind === 'cmp' &&
      c.op === '=' &&
      c.value.kind === 'boolean' &&
      !c.value.value &&
      c.path.length === 1 &&
      c.path[0]!.toLowerCase() === field.toLowerCase(),
  );
}
