import type { Deal } from '../core/deal.ts';

const DATE_FIELDS = ['createdAt', 'expectedCloseDate', 'closedAt', 'lastActivityAt', 'stageEnteredAt', 'modifiedAt'] as const;

/** A Deal as stored in jsonb: JSON.stringify turns its Dates into ISO strings. */
export const dealToJson = (deal: Deal): string => JSON.stringify(deal);

/** Revives the Dates of a deal read back from jsonb (our own writes: trusted shape). */
export function dealFromJson(obj: Record<string, unknown>): Deal {
  const d = { ...obj } as Record<string, unknown>;
  for (const f of DATE_FIELDS) if (typeof d[f] === 'string') d[f] = new Date(d[f] as string);
  if (Array.isArray(d.stageHistory)) {
    d.stageHistory = (d.stageHistory as Array<Record<string, unknown>>).map((s) => ({
      ...s,
      enteredAt: new Date(s.enteredAt as string),
    }));
  }
  return d as unknown as Deal;
}
