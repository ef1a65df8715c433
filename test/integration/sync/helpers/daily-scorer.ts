import type { Deal } from '../../../../src/core/deal.ts';
import type { Store } from '../../../../src/store/index.ts';
import type { SyncScorer } from '../../../../src/sync/scorer.ts';
import { fakeScorer } from './fake-scorer.ts';

const DAY = 86_400_000;

/** A number in 0..99 fixed by the deal's id. */
function idHash(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 9973;
  return h % 100;
}

/**
 * The deal's risk as the fake scorer takes it: fixed by its id and amount, moving by 13 points a
 * day, so a day later about every deal's risk values change, some enter Critical, and an edited
 * amount changes them too. What the real model would say is beside the point in kill tests; this
 * keeps the numbers of writes, tasks and alerts the same whatever the model does.
 */
export function dailyRisk(d: Deal, asOf: Date): number {
  return (idHash(d.externalId) + Math.round(d.amount ?? 0) * 7 + Math.floor(asOf.getTime() / DAY) * 13) % 100;
}

/** fakeScorer, scoring each deal at dailyRisk. */
export function dailyScorer(store: Store): SyncScorer {
  const { scorer } = fakeScorer(store);
  return {
    ...scorer,
    async load(tenantId, asOf) {
      const m = await scorer.load(tenantId, asOf);
      return {
        ...m,
        scoreMany: (deals, at) =>
          m.scoreMany(
            deals.map((d) => ({ ...d, extras: { ...d.extras, risk: dailyRisk(d, at) } })),
            at,
          ),
      };
    },
  };
}
