import type { Deal } from '../deal.ts';
import type { DealFact, Playbook, PlaybookRule, Priority } from './playbook.ts';

/** A recommended next step for one deal. */
export interface RecommendedAction {
  action: string;
  rule: string;
  title: string;
  priority: Priority;
  rationale: string;
}

/** What rules look at: the score, category, top drivers and the deal itself. */
export interface ActionContext {
  deal: Deal;
  asOf: Date;
  score: number;
  category: 'Low' | 'Medium' | 'High' | 'Critical';
  winProbability: number;
  drivers: ReadonlyArray<{ feature: string; direction: 'raises_risk' | 'lowers_risk'; sentence: string }>;
}

const DAY = 86_400_000;
const since = (d: Date | null, asOf: Date): number | null => (d ? (asOf.getTime() - d.getTime()) / DAY : null);

/** Reads a fact about a deal as of the scoring date (null = unknown). */
export function dealFact(f: DealFact, d: Deal, asOf: Date): string | number | null {
  switch (f) {
    case 'ageDays':
      return since(d.createdAt, asOf);
    case 'daysSinceActivity':
      return since(d.lastActivityAt, asOf);
    case 'daysInStage':
      return since(d.stageEnteredAt, asOf);
    case 'daysToClose':
      return d.expectedCloseDate ? (d.expectedCloseDate.getTime() - asOf.getTime()) / DAY : null;
    case 'closeDatePushes':
      return d.closeDatePushes;
    case 'contactsCount':
      return d.contactsCount;
    case 'amount':
      return d.amount;
    case 'crmProbability':
      return d.crmProbability;
    case 'leadSource':
      return d.leadSource;
    case 'dealType':
      return d.dealType;
    case 'product':
      return d.product;
    case 'stage':
      return d.stage.label;
    case 'industry':
      return d.account.industry;
    case 'region':
      return d.account.region;
    case 'owner':
      return d.owner.name ?? d.owner.id;
  }
}

const PRIORITY_RANK: Record<Priority, number> = { immediate: 0, this_week: 1, ongoing: 2 };

type Matched = ActionContext['drivers'][number] | undefined;
/** null = no match; otherwise the driver that matched (undefined when the rule tests none). */
type Predicate = (c: ActionContext) => Matched | null;

function compileWhen(rule: PlaybookRule): Predicate {
  const w = rule.when;
  const checks: Array<(c: ActionContext) => boolean> = [];
  if (w.category) {
    const set = new Set(w.category);
    checks.push((c) => set.has(c.category));
  }
  if (w.minScore !== undefined) checks.push((c) => c.score >= w.minScore!);
  if (w.maxScore !== undefined) checks.push((c) => c.score <= w.maxScore!);
  for (const [fact, t] of Object.entries(w.deal ?? {}) as Array<[DealFact, NonNullable<NonNullable<typeof w.deal>[DealFact]>]>) {
    const inSet = t.in ? new Set(t.in.map((v) => String(v).toLowerCase())) : null;
    checks.push((c) => {
      const v = dealFact(fact, c.deal, c.asOf);
      if (t.exists !== undefined && (v !== null) !== t.exists) return false;
      if (v === null) return t.exists === false;
      if (inSet && !inSet.has(String(v).toLowerCase())) return false;
      if (t.gte !== undefined && !(typeof v === 'number' && v >= t.gte)) return false;
      if (t.lte !== undefined && !(typeof v === 'number' && v <= t.lte)) return false;
      return true;
    });
  }
  const dt = w.driver;
  const features = dt ? new Set(Array.isArray(dt.feature) ? dt.feature : [dt.feature]) : null;
  const memo = new Map<string, boolean>();
  const matches = (id: string): boolean => {
    let hit = memo.get(id);
    if (hit === undefined) {
      hit = features!.has(id) || id.split('×').some((p) => features!.has(p));
      memo.set(id, hit);
    }
    return hit;
  };
  return (c) => {
    for (const chk of checks) if (!chk(c)) return null;
    if (!dt) return undefined;
    for (const d of c.drivers) if (d.direction === dt.direction && matches(d.feature)) return d;
    return null;
  };
}

/** What `{driver}` says when none of the deal's top drivers raises its risk. */
export const NO_RISING_DRIVER = "No trait of this deal raises its risk above the average deal's.";

/**
 * The driver a rationale quotes: the one the rule matched when it raises the risk, else the
 * deal's strongest driver that does. A reason to act is never a trait that lowers the risk.
 */
function risingDriver(c: ActionContext, matched: Matched): Matched {
  if (matched?.direction === 'raises_risk') return matched;
  for (const d of c.drivers) if (d.direction === 'raises_risk') return d;
  return undefined;
}

function compileTemplate(t: string): (c: ActionContext, driver: Matched) => string {
  const parts = t.split(/(\{[a-zA-Z]+\})/g);
  return (c, driver) => {
    let out = '';
    for (const p of parts) {
      switch (p) {
        case '{score}':
          out += String(c.score);
          break;
        case '{category}':
          out += c.category;
          break;
        case '{winProbability}':
          out += `${Math.round(c.winProbability * 100)}%`;
          break;
        case '{driver}':
          out += risingDriver(c, driver)?.sentence ?? NO_RISING_DRIVER;
          break;
        case '{dealName}':
          out += c.deal.name ?? c.deal.externalId;
          break;
        case '{owner}':
          out += c.deal.owner.name ?? c.deal.owner.id ?? 'the owner';
          break;
        default:
          out += p;
      }
    }
    return out;
  };
}

/**
 * An action whose rationale is formatted on first read: scoring 100k deals should not format
 * 100k sentences nobody displays yet. `toJSON` includes the rationale; a spread copy does not.
 */
class LazyAction implements RecommendedAction {
  readonly action: string;
  readonly rule: string;
  readonly title: string;
  readonly priority: Priority;
  #text: string | undefined;
  constructor(
    r: PlaybookRule,
    private readonly render: (c: ActionContext, d: Matched) => string,
    private readonly ctx: ActionContext,
    private readonly matched: Matched,
  ) {
    this.action = r.action;
    this.rule = r.id;
    this.title = r.title;
    this.priority = r.priority;
  }

  get rationale(): string {
    this.#text ??= this.render(this.ctx, this.matched).trim();
    return this.#text;
  }

  toJSON(): RecommendedAction {
    const { action, rule, title, priority, rationale } = this;
    return { action, rule, title, priority, rationale };
  }
}

/** A playbook compiled once into predicates and templates: evaluation is a tight loop. */
export type ActionPlanner = (c: ActionContext) => RecommendedAction[];

/** Compiles a validated playbook; actions come most urgent first, each action at most once. */
export function compilePlaybook(playbook: Playbook, maxActions = 3): ActionPlanner {
  const rules = playbook.rules
    .map((r, order) => ({ r, order, when: compileWhen(r), text: compileTemplate(r.rationale) }))
    .sort((a, b) => PRIORITY_RANK[a.r.priority] - PRIORITY_RANK[b.r.priority] || a.order - b.order);
  return (c) => {
    const out: RecommendedAction[] = [];
    for (const rule of rules) {
      if (out.length >= maxActions) break;
      const m = rule.when(c);
      if (m === null) continue;
      let dup = false;
      for (let i = 0; i < out.length; i++) if (out[i]!.action === rule.r.action) dup = true;
      if (!dup) out.push(new LazyAction(rule.r, rule.text, c, m));
    }
    return out;
  };
}
