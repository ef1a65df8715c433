import { Deal } from '../../src/core/deal.ts';
import type { Store } from '../../src/store/index.ts';
import type { ActionTask } from '../../src/store/repos/action-tasks.ts';

const DAY = 86_400_000;

/**
 * 65 followed tasks recommended 25 days before `now`, all on High, SMB deals: 60 "multithread"
 * (rule single_threaded), the even ones done 2 days after (Ada's, 10 of 30 of their deals lost),
 * the odd ones never (Bo's, 20 of 30 lost); the deals closed 10 days after the recommendation.
 * 5 "deal_review" (rule high_risk_review) on open deals, none done: too few to compare.
 */
export async function seedActionRecords(store: Store, tenantId: string, now: Date): Promise<void> {
  const at = new Date(now.getTime() - 25 * DAY);
  const rows: ActionTask[] = [];
  const deals: Array<{ deal: Deal }> = [];
  for (let i = 0; i < 65; i++) {
    const externalId = `D${i}`;
    const review = i >= 60;
    const acted = i % 2 === 0;
    const lost = acted ? i % 6 === 0 : i % 6 !== 1;
    const owner = acted ? { id: 'u1', name: 'Ada' } : { id: 'u2', name: 'Bo' };
    deals.push({
      deal: Deal.parse({
        tenantId,
        source: 'salesforce',
        externalId,
        name: `Deal ${i}`,
        amount: 10_000,
        stage: {
          label: review ? 'Proposal' : lost ? 'Closed Lost' : 'Closed Won',
          status: review ? 'open' : lost ? 'lost' : 'won',
          order: null,
        },
        createdAt: new Date(at.getTime() - 30 * DAY),
        closedAt: review ? null : new Date(at.getTime() + 10 * DAY),
        owner,
        account: { id: 'a1', name: 'Acme', industry: 'SaaS', region: null, country: null, size: 'SMB' },
      }),
    });
    rows.push({
      taskKey: `salesforce:${externalId}:${review ? 'deal_review' : 'multithread'}`,
      source: 'salesforce',
      externalId,
      action: review ? 'deal_review' : 'multithread',
      rule: review ? 'high_risk_review' : 'single_threaded',
      taskId: `00T${i}`,
      ownerId: owner.id,
      ownerName: owner.name,
      recommendedAt: at,
      score: 60,
      category: 'High',
      segment: 'Company size: SMB',
    });
  }
  await store.deals.upsertMany(tenantId, deals, now);
  await store.actionTasks.insert(tenantId, rows);
  await store.actionTasks.applyStatuses(
    tenantId,
    'salesforce',
    rows
      .filter((_, i) => i % 2 === 0 && i < 60)
      .map((r) => ({ taskId: r.taskId!, status: 'completed' as const, completedAt: new Date(at.getTime() + 2 * DAY) })),
    now,
  );
}
