import type { Deal } from '../deal.ts';

/**
 * Owner names by owner id, from the deals that carry both (the most frequent name of an id).
 * Two owners of one name keep their id beside it, so their segments stay apart.
 */
export function ownerNames(deals: readonly Deal[]): (id: string) => string {
  const seen = new Map<string, Map<string, number>>();
  for (const d of deals) {
    const { id, name } = d.owner;
    if (!id || !name || name === id) continue;
    const names = seen.get(id) ?? seen.set(id, new Map()).get(id)!;
    names.set(name, (names.get(name) ?? 0) + 1);
  }
  const best = new Map([...seen].map(([id, names]) => [id, [...names].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0]]));
  const owners = new Map<string, number>();
  for (const name of best.values()) owners.set(name, (owners.get(name) ?? 0) + 1);
  return (id) => {
    const name = best.get(id);
    if (name === undefined) return id;
    return owners.get(name)! > 1 ? `${name} (${id})` : name;
  };
}
