import { createHash } from 'node:crypto';
import type { RiskFields, TaskRequest } from '../../connectors/types.ts';
import type { Deal } from '../core/deal.ts';
import { stableJson } from '../core/deal-hash.ts';
import type { DealScore } from '../core/scoring/scorer.ts';
import type { ScoredState } from '../store/repos/sync-state.ts';
import type { RiskPlan } from '../store/write-back-json.ts';
import type { SyncConfig } from './config.ts';

export type { RiskPlan };

const DAY_MS = 86_400_000;
const PRIORITY_LABEL = { immediate: 'Now', this_week: 'This week', ongoing: 'Ongoing' } as const;
const WRITTEN_STATUSES = new Set<RiskFields['modelStatus']>(['ok', 'experimental', 'no_signal', 'low_confidence', 'prior_only']);

/** The model status as a CRM field can hold it (a model not backtested yet is experimental). */
export function writtenStatus(status: string): RiskFields['modelStatus'] {
  return WRITTEN_STATUSES.has(status as RiskFields['modelStatus']) ? (status as RiskFields['modelStatus']) : 'experimental';
}

/** A score as the risk fields written on the CRM record: drivers and actions one per line. */
export function riskFieldsOf(s: DealScore): RiskFields {
  return {
    score: s.riskScore,
    category: s.category,
    winProbability: Math.round(s.winProbability * 1000) / 1000,
    drivers: s.drivers.map((d) => d.sentence).join('\n'),
    action: s.actions.map((a) => `${PRIORITY_LABEL[a.priority]}: ${a.title}. ${a.rationale}`).join('\n'),
    scoredAt: s.scoredAt,
    modelStatus: writtenStatus(s.modelStatus),
  };
}

/**
 * The values whose change makes a write: score, category, drivers, action, status. Win
 * probability moves with the score and the scored-at stamp moves on every run, so neither
 * alone is worth a CRM call.
 */
export function writtenValuesHash(f: RiskFields): string {
  const { score, category, drivers, action, modelStatus } = f;
  return createHash('sha256').update(stableJson({ score, category, drivers, action, modelStatus })).digest('base64url').slice(0, 22);
}

/** Follow-up tasks for the owner: the playbook's urgent actions on High and Critical deals. */
export function taskRequestsOf(s: DealScore, deal: Deal, cfg: SyncConfig['writeBack']['tasks']): TaskRequest[] {
  if (!cfg.enabled || !cfg.categories.includes(s.category)) return [];
  if (cfg.withholdOnNoSignal && s.modelStatus === 'no_signal') return [];
  return s.actions
    .filter((a) => cfg.priorities.includes(a.priority))
    .map((a) => ({
      key: `${deal.externalId}:${a.action}`,
      dealExternalId: deal.externalId,
      ownerId: deal.owner.id,
      subject: a.title,
      description: a.rationale,
      priority: a.priority === 'immediate' ? ('high' as const) : ('normal' as const),
      dueDate: new Date(s.scoredAt.getTime() + (a.priority === 'immediate' ? 1 : 7) * DAY_MS),
    }));
}

export function riskPlanOf(s: DealScore, deal: Deal, cfg: SyncConfig['writeBack']['tasks'], url: string | null = null): RiskPlan {
  const first = s.actions[0];
  return {
    fields: riskFieldsOf(s),
    tasks: taskRequestsOf(s, deal, cfg),
    summary: {
      name: deal.name,
      ownerId: deal.owner.id,
      ownerName: deal.owner.name,
      amount: deal.amount,
      firstAction: first ? `${first.title}. ${first.rationale}` : null,
      drivers: s.drivers.map((d) => d.sentence),
      url,
    },
  };
}

/**
 * The one place a score becomes what is stored for it (the sync's score step and `dealrisk
 * score` alike): the detail the pages and the API show (drivers and actions with their
 * sentences, confidence, similar won deals), the risk plan written back, its values hash.
 */
export function scoredState(
  s: DealScore,
  deal: Deal,
  o: { inputHash: string; modelId: number | null; tasks: SyncConfig['writeBack']['tasks']; url: string | null; alertDueAt: Date | null },
): ScoredState {
  const plan = riskPlanOf(s, deal, o.tasks, o.url);
  return {
    source: s.source,
    externalId: s.externalId,
    inputHash: o.inputHash,
    scoredAt: s.scoredAt,
    modelId: o.modelId,
    score: s.riskScore,
    category: s.category,
    winProbability: s.winProbability,
    modelStatus: s.modelStatus,
    detail: {
      lossProbability: s.lossProbability,
      confidence: s.confidence,
      modelVersion: s.modelVersion,
      basis: s.basis,
      drivers: s.drivers,
      actions: s.actions,
      similarWon: s.similarWon,
      note: s.note,
    },
    trace: s.trace?.toJSON() ?? null,
    risk: plan,
    valuesHash: writtenValuesHash(plan.fields),
    alertDueAt: o.alertDueAt,
  };
}
