import type { Deal } from '../deal.ts';

const ACTION_ID = /^[a-z0-9_]+$/;

/**
 * The playbook action a task key names: task keys are `<deal id>:<action id>` (sync/risk-fields),
 * so the rest after the deal's id, when it reads as an action id. Other tasks (an alert's
 * `<deal id>:critical-alert:<date>`) name none: null.
 */
export function actionOfTaskKey(key: string, dealExternalId: string): string | null {
  if (!key.startsWith(`${dealExternalId}:`)) return null;
  const rest = key.slice(dealExternalId.length + 1);
  return ACTION_ID.test(rest) ? rest : null;
}

/**
 * The segment deals are matched within: the company size band when the deal has one, else the
 * deal type (new, renewal, expansion), else null (matched on risk band alone).
 */
export function segmentOf(d: Pick<Deal, 'account' | 'dealType'>): string | null {
  if (d.account.size) return `Company size: ${d.account.size}`;
  if (d.dealType) return `Deal type: ${d.dealType}`;
  return null;
}

/** The rule that recommended `action`, from a score's stored actions (null when it lists none). */
export function ruleOf(actions: unknown, action: string): string | null {
  if (!Array.isArray(actions)) return null;
  for (const a of actions as Array<{ action?: unknown; rule?: unknown }>) {
    if (a && a.action === action && typeof a.rule === 'string') return a.rule;
  }
  return null;
}
