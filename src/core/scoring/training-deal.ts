import type { Deal, ExtraValue } from '../deal.ts';

/**
 * Training holds every closed deal of a tenant in memory at once (rows, folds, backtest), so it
 * keeps only what the model reads. A returned deal drops what no feature uses (name, next step,
 * currency, account id and name, modification stamp; owner names stay: drivers name owners) and
 * shares one copy of each repeated string (industries, stages, owners, ...) and of each instant
 * (a V8 Date takes about 100 bytes; a deal's creation and close dates are also the first and last
 * entries of its stage history). The returned deals are read-only: their Dates are shared.
 * Measured on 81,224 sandbox Salesforce deals with 4.2 history entries each: 2,442 bytes per deal
 * as read from the store, 1,897 with strings shared, about 1,500 with instants shared as well.
 */
export function trainingDealCompactor(): (d: Deal) => Deal {
  const strings = new Map<string, string>();
  const s = <T extends string | null>(v: T): T => {
    if (v === null) return v;
    const hit = strings.get(v);
    if (hit !== undefined) return hit as T;
    strings.set(v, v);
    return v;
  };
  const extra = (v: ExtraValue): ExtraValue => (typeof v === 'string' ? s(v) : v);
  const instants = new Map<number, Date>();
  const t = (v: Date | null): Date | null => {
    if (v === null) return v;
    const ms = v.getTime();
    const hit = instants.get(ms);
    if (hit !== undefined) return hit;
    instants.set(ms, v);
    return v;
  };

  return (d) => {
    const extras: Record<string, ExtraValue> = {};
    for (const k in d.extras) extras[s(k)] = extra(d.extras[k]!);
    return {
      tenantId: s(d.tenantId),
      source: s(d.source),
      externalId: d.externalId,
      name: null,
      amount: d.amount,
      currency: null,
      stage: { label: s(d.stage.label), status: s(d.stage.status), order: d.stage.order },
      pipeline: s(d.pipeline),
      createdAt: t(d.createdAt),
      expectedCloseDate: t(d.expectedCloseDate),
      closedAt: t(d.closedAt),
      owner: { id: s(d.owner.id), name: s(d.owner.name) },
      account: {
        id: null,
        name: null,
        industry: s(d.account.industry),
        region: s(d.account.region),
        country: s(d.account.country),
        size: s(d.account.size),
      },
      product: s(d.product),
      leadSource: s(d.leadSource),
      dealType: s(d.dealType),
      forecastCategory: s(d.forecastCategory),
      crmProbability: d.crmProbability,
      lastActivityAt: t(d.lastActivityAt),
      activityCount: d.activityCount,
      contactsCount: d.contactsCount,
      stageEnteredAt: t(d.stageEnteredAt),
      closeDatePushes: d.closeDatePushes,
      nextStep: null,
      modifiedAt: null,
      stageHistory: d.stageHistory.map((h) => ({ stage: s(h.stage), status: s(h.status), order: h.order, enteredAt: t(h.enteredAt)! })),
      extras,
    };
  };
}
