import type { SandboxCurrencies } from '../currency.ts';
import { repCall } from '../forecast.ts';
import { contactOf, DAY, type DealPlan, dealName, eventOffsets, stageOf, type World } from '../generate.ts';
import { HS_ID_BASE, hsId } from '../ids.ts';
import { NEXT_STEPS } from '../names.ts';
import { viewAt } from '../view.ts';
import { DEAL_STATIC, HS_DEALTYPE, HS_INDUSTRY, HS_OPEN_STAGES, HS_SOURCE, HS_STAGES, type HsType } from './catalog.ts';

export const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString();
export const ownerId = (n: number) => String(HS_ID_BASE.owners + n + 1);

/** The exact decimal expansion of a double, as HubSpot prints probabilities ("0.4000000000000000222..."). */
const decimals = new Map<number, string>();

export function exactDecimal(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const hit = decimals.get(x);
  if (hit !== undefined) return hit;
  const s = expand(x);
  if (decimals.size > 50_000) decimals.clear();
  decimals.set(x, s);
  return s;
}

function expand(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  if (exp !== 0) mant |= 1n << 52n;
  const k = 1075 - (exp === 0 ? 1 : exp);
  const digits = (mant * 5n ** BigInt(k)).toString().padStart(k + 1, '0');
  const frac = digits.slice(digits.length - k).replace(/0+$/, '');
  return `${x < 0 ? '-' : ''}${digits.slice(0, digits.length - k)}${frac ? `.${frac}` : ''}`;
}

export interface HistoryEntry {
  value: string | null;
  timestamp: string;
  sourceType: string;
  sourceId?: string;
  updatedByUserId?: number;
}

/** Property writes through the API on top of a record. */
export interface HsOverlay {
  values: Record<string, string | null>;
  writtenAt: number;
  archivedAt: number | null;
  history: Array<{ prop: string; value: string | null; at: number }>;
}

/** One CRM object as HubSpot serves it: every property value is a string (or null). */
export interface HsObject {
  readonly type: HsType;
  readonly id: string;
  readonly createdAt: number;
  updatedAt(): number;
  archivedAt(): number | null;
  get(prop: string): string | null;
  /** Every property that has a value (what HubSpot returns from create/update). */
  all(): Record<string, string | null>;
  history(prop: string): HistoryEntry[];
}

/** The few values a deal's calculated properties derive from. */
interface DealCore {
  amount: number | null;
  stage: number;
  closeDate: number | null;
  createdAt: number;
  stageEnteredAt: number;
}

function dealComputed(c: DealCore, now: number): Record<string, string | null> {
  const s = HS_STAGES[c.stage] ?? HS_STAGES[0];
  const p = Number(s.probability);
  const closed = c.stage >= HS_OPEN_STAGES;
  const won = c.stage === HS_OPEN_STAGES;
  const amt = c.amount;
  const daysRaw = c.closeDate !== null ? (c.closeDate - c.createdAt) / DAY : 0;
  return {
    ...DEAL_STATIC,
    amount_in_home_currency: amt === null ? null : String(amt),
    hs_deal_stage_probability: exactDecimal(p),
    hs_deal_stage_probability_shadow: exactDecimal(p),
    hs_is_closed: String(closed),
    hs_is_closed_won: String(won),
    hs_is_closed_lost: String(closed && !won),
    hs_is_closed_count: closed ? '1' : '0',
    hs_is_open_count: closed ? '0' : '1',
    hs_closed_won_count: won ? '1' : '0',
    hs_forecast_amount: amt === null ? null : String(amt),
    hs_projected_amount: amt === null ? '0' : exactDecimal(amt * p),
    hs_projected_amount_in_home_currency: amt === null ? '0' : exactDecimal(amt * p),
    hs_weighted_pipeline_in_company_currency: amt === null || closed ? '0' : exactDecimal(amt * p),
    hs_closed_amount: won && amt !== null ? String(amt) : '0',
    hs_closed_amount_in_home_currency: won && amt !== null ? String(amt) : '0',
    hs_open_amount_in_home_currency: !closed && amt !== null ? String(amt) : '0',
    hs_closed_deal_close_date: closed && c.closeDate !== null ? String(c.closeDate) : '0',
    hs_closed_deal_create_date: closed ? String(c.createdAt) : '0',
    hs_open_deal_create_date: closed ? null : String(c.createdAt),
    hs_actual_duration: String(Math.max(0, Math.round(now - c.createdAt))),
    days_to_close: String(Math.max(0, Math.round(daysRaw))),
    hs_days_to_close_raw: String(Math.max(0, Math.round(daysRaw * 1e5) / 1e5)),
    hs_v2_date_entered_current_stage: iso(c.stageEnteredAt),
    hs_v2_time_in_current_stage: iso(c.stageEnteredAt),
    hs_createdate: iso(c.createdAt),
    createdate: iso(c.createdAt),
    pipeline: 'default',
    dealstage: s.id,
  };
}

const stageIndex = (id: string | null | undefined) => HS_STAGES.findIndex((s) => s.id === id);

abstract class Base implements HsObject {
  abstract readonly type: HsType;
  abstract readonly id: string;
  abstract readonly createdAt: number;
  private cache: Record<string, string | null> | null = null;
  constructor(
    protected readonly now: number,
    protected readonly ov: HsOverlay | undefined,
  ) {}
  protected abstract baseUpdatedAt(): number;
  protected abstract compute(): Record<string, string | null>;
  updatedAt(): number {
    return Math.max(this.baseUpdatedAt(), this.ov?.writtenAt ?? -Infinity);
  }
  archivedAt(): number | null {
    return this.ov?.archivedAt ?? null;
  }
  all(): Record<string, string | null> {
    if (!this.cache) {
      const out = { ...this.compute(), ...(this.ov?.values ?? {}) };
      out.hs_object_id = this.id;
      out[this.type === 'contacts' ? 'lastmodifieddate' : 'hs_lastmodifieddate'] = iso(this.updatedAt());
      this.cache = out;
    }
    return this.cache;
  }
  get(prop: string): string | null {
    if (prop === 'hs_object_id') return this.id;
    if (prop === 'hs_lastmodifieddate' || prop === 'lastmodifieddate') return iso(this.updatedAt());
    if (this.ov && prop in this.ov.values) return this.ov.values[prop]!;
    return this.all()[prop] ?? null;
  }
  history(prop: string): HistoryEntry[] {
    const written = (this.ov?.history ?? [])
      .filter((h) => h.prop === prop)
      .map((h) => ({ value: h.value, timestamp: iso(h.at)!, sourceType: 'INTEGRATION', sourceId: 'sandbox-app' }));
    const base = this.baseHistory(prop);
    return [...written.reverse(), ...base];
  }
  protected baseHistory(prop: string): HistoryEntry[] {
    const v = this.compute()[prop];
    return v === undefined || v === null ? [] : [{ value: v, timestamp: iso(this.createdAt)!, sourceType: 'CRM_UI', updatedByUserId: 1 }];
  }
}

/** Opt-in portal features that change what a generated deal shows. */
export interface DealFlavour {
  /** A multi-currency portal: deals carry their rep's currency and an amount in the company currency. */
  currencies: SandboxCurrencies | null;
  /** Reps set the forecast category (`hs_manual_forecast_category`). */
  forecastCategories: boolean;
}

/**
 * The forecast category a rep sets (sandbox/forecast.ts), as HubSpot's options name it:
 * OMIT (Not forecasted), PIPELINE, BEST_CASE, COMMIT, CLOSED (Closed won).
 */
export function forecastCategoryOf(stage: number, plan: DealPlan): string {
  if (stage >= HS_OPEN_STAGES) return stage === HS_OPEN_STAGES ? 'CLOSED' : 'OMIT';
  return { pipeline: 'PIPELINE', best_case: 'BEST_CASE', commit: 'COMMIT' }[repCall(stage, HS_OPEN_STAGES, plan)];
}

/** A generated deal seen through HubSpot's properties. */
export class DealObj extends Base {
  readonly type = 'deals' as const;
  readonly id: string;
  readonly createdAt: number;
  private readonly view;
  constructor(
    private readonly world: World,
    readonly plan: DealPlan,
    now: number,
    ov: HsOverlay | undefined,
    private readonly flavour: DealFlavour | null = null,
  ) {
    super(now, ov);
    this.id = hsId('deals', plan.n);
    this.createdAt = plan.createdAt;
    this.view = viewAt(world, plan, now);
  }
  get deletedByPlan(): boolean {
    return this.view.deleted;
  }
  override archivedAt(): number | null {
    return this.ov?.archivedAt ?? this.view.deletedAt;
  }
  protected baseUpdatedAt(): number {
    return this.view.hsModified;
  }
  protected compute(): Record<string, string | null> {
    const v = this.view;
    const p = this.plan;
    const ovStage = stageIndex(this.ov?.values.dealstage);
    const stage = ovStage >= 0 ? ovStage : v.stage;
    const closeDate = v.isClosed ? p.closeAt : v.closeDate;
    const out: Record<string, string | null> = {
      ...dealComputed({ amount: v.amount, stage, closeDate, createdAt: p.createdAt, stageEnteredAt: v.stageEnteredAt }, this.now),
      dealname: dealName(this.world, p),
      amount: String(v.amount),
      closedate: iso(closeDate),
      dealtype: HS_DEALTYPE[p.drivers.type],
      deal_currency_code: 'USD',
      description: null,
      hubspot_owner_id: ownerId(p.owner),
      hs_analytics_source: HS_SOURCE[p.drivers.source],
      hs_next_step: v.nextStep >= 0 ? NEXT_STEPS[(p.n + v.nextStep) % NEXT_STEPS.length]! : null,
      num_associated_contacts: String(v.contacts),
      num_contacted_notes: String(v.activityCount),
      num_notes: String(v.activityCount),
      notes_last_contacted: iso(v.lastActivity),
      notes_last_updated: iso(v.lastActivity),
      notes_next_activity_date: iso(v.followUpDue),
      hs_number_of_overdue_tasks: v.followUpDue !== null && v.followUpDue < Math.floor(this.now / DAY) * DAY ? '1' : '0',
      closed_lost_reason: v.isClosed && !v.isWon ? p.reason : null,
      closed_won_reason: v.isWon ? p.reason : null,
      hs_object_source: 'CRM_UI',
      hs_object_source_label: 'CRM_UI',
      hs_object_source_id: `userId:${HS_ID_BASE.owners + p.owner + 1}`,
    };
    const c = this.flavour?.currencies;
    if (c) {
      // amount_in_home_currency: at the rate in force now while the deal is open, fixed at its close once closed.
      const code = c.dealCurrency(p);
      const home = c.toCorporate(v.amount, code, v.isClosed ? p.closeAt : this.now);
      out.deal_currency_code = code;
      out.amount_in_home_currency = home === null ? null : String(Math.round(home * 100) / 100);
    }
    if (this.flavour?.forecastCategories) out.hs_manual_forecast_category = forecastCategoryOf(stage, p);
    const d = this.world.pool.data;
    const o = eventOffsets(p);
    for (let i = 0; i < v.stageEvents; i++) {
      const id = HS_STAGES[stageOf(p, i, HS_OPEN_STAGES)]!.id;
      out[`hs_date_entered_${id}`] = iso(d[o.stageAt + i]!);
      if (i + 1 < v.stageEvents) out[`hs_date_exited_${id}`] = iso(d[o.stageAt + i + 1]!);
    }
    return out;
  }
  protected override baseHistory(prop: string): HistoryEntry[] {
    const d = this.world.pool.data;
    const o = eventOffsets(this.plan);
    const until = this.view.deletedAt ?? this.now;
    const entries: Array<[number, string]> = [];
    const user = HS_ID_BASE.owners + this.plan.owner + 1;
    if (prop === 'dealstage') {
      for (let i = 0; i < this.plan.nStage && d[o.stageAt + i]! <= until; i++)
        entries.push([d[o.stageAt + i]!, HS_STAGES[stageOf(this.plan, i, HS_OPEN_STAGES)]!.id]);
    } else if (prop === 'closedate') {
      for (let i = 0; i < this.plan.nClose && d[o.closeDateAt + i]! <= until; i++)
        entries.push([d[o.closeDateAt + i]!, iso(d[o.closeDates + i]!)!]);
      if (this.view.isClosed) entries.push([this.plan.closeAt, iso(this.plan.closeAt)!]);
    } else if (prop === 'amount') {
      for (let i = 0; i < this.plan.nAmount && d[o.amountAt + i]! <= until; i++)
        entries.push([d[o.amountAt + i]!, String(d[o.amounts + i]!)]);
    } else return super.baseHistory(prop);
    return entries
      .reverse()
      .map(([at, value]) => ({ value, timestamp: iso(at)!, sourceType: 'CRM_UI', sourceId: `userId:${user}`, updatedByUserId: user }));
  }
}

export class CompanyObj extends Base {
  readonly type = 'companies' as const;
  readonly id: string;
  readonly createdAt: number;
  constructor(
    private readonly world: World,
    private readonly n: number,
    now: number,
    ov: HsOverlay | undefined,
  ) {
    super(now, ov);
    this.id = hsId('companies', n);
    this.createdAt = world.accounts[n]!.createdAt;
  }
  protected baseUpdatedAt(): number {
    return this.createdAt;
  }
  protected compute(): Record<string, string | null> {
    const a = this.world.accounts[this.n]!;
    const domain = `${a.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`;
    return {
      name: a.name,
      domain,
      website: `https://www.${domain}`,
      industry: HS_INDUSTRY[a.industry]!,
      city: a.city,
      state: a.state,
      country: a.country,
      numberofemployees: String(a.employees),
      annualrevenue: String(a.annualRevenue),
      createdate: iso(a.createdAt),
      lifecyclestage: 'customer',
      region: a.region,
      segment: a.size,
      hubspot_owner_id: ownerId(this.n % this.world.owners.length),
      hs_pipeline: 'companies-lifecycle-pipeline',
      hs_object_source: 'CRM_UI',
      hs_object_source_label: 'CRM_UI',
      hs_object_source_id: 'userId:1',
      hs_task_label: a.name,
      hs_annual_revenue_currency_code: 'USD',
      hs_num_blockers: '0',
      hs_num_child_companies: '0',
      hs_num_contacts_with_buying_roles: '0',
      hs_num_decision_makers: '0',
      hs_num_open_deals: null,
      num_associated_contacts: null,
      num_notes: '0',
      hs_v2_date_entered_current_stage: iso(a.createdAt),
      hs_v2_time_in_current_stage: iso(a.createdAt),
    };
  }
}

export class ContactObj extends Base {
  readonly type = 'contacts' as const;
  readonly id: string;
  readonly createdAt: number;
  private readonly c;
  constructor(
    world: World,
    readonly plan: DealPlan,
    k: number,
    now: number,
    ov: HsOverlay | undefined,
  ) {
    super(now, ov);
    this.c = contactOf(world, plan, k);
    this.id = hsId('contacts', this.c.seq);
    this.createdAt = this.c.createdAt;
  }
  protected baseUpdatedAt(): number {
    return this.createdAt;
  }
  protected compute(): Record<string, string | null> {
    return {
      firstname: this.c.firstName,
      lastname: this.c.lastName,
      email: this.c.email,
      jobtitle: this.c.title,
      createdate: iso(this.createdAt),
      associatedcompanyid: hsId('companies', this.plan.account),
      hubspot_owner_id: ownerId(this.plan.owner),
    };
  }
}

/** A record created through the API (deals, companies, contacts, tasks). */
export class ManualObj extends Base {
  constructor(
    readonly type: HsType,
    readonly id: string,
    readonly createdAt: number,
    now: number,
    private readonly store: HsOverlay,
    /** Tasks: when the rep completes it (null = never). */
    private readonly repDoneAt: number | null,
  ) {
    super(now, store);
  }
  protected baseUpdatedAt(): number {
    return Math.max(this.createdAt, this.repDone() ? this.repDoneAt! : -Infinity);
  }
  private repDone(): boolean {
    return this.repDoneAt !== null && this.repDoneAt <= this.now && this.store.values.hs_task_status !== 'COMPLETED';
  }
  override get(prop: string): string | null {
    if (this.type === 'tasks' && this.repDone() && prop in this.taskDone()) return this.taskDone()[prop]!;
    return super.get(prop);
  }
  override all(): Record<string, string | null> {
    const out = super.all();
    return this.type === 'tasks' && this.repDone() ? { ...out, ...this.taskDone() } : out;
  }
  private taskDone(): Record<string, string> {
    const at = iso(this.repDoneAt)!;
    return {
      hs_task_status: 'COMPLETED',
      hs_task_is_completed: '1',
      hs_task_completion_count: '1',
      hs_task_completion_date: at,
      hs_task_is_open: 'false',
      hs_task_is_overdue: 'false',
    };
  }
  protected compute(): Record<string, string | null> {
    const v = this.store.values;
    const created = iso(this.createdAt);
    const source = { hs_object_source: 'INTEGRATION', hs_object_source_id: 'sandbox-app', hs_object_source_label: 'INTEGRATION' };
    if (this.type === 'deals') {
      const stage = Math.max(0, stageIndex(v.dealstage ?? 'appointmentscheduled'));
      const closeDate = v.closedate ? Date.parse(v.closedate) : null;
      const amount = v.amount ? Number(v.amount) : null;
      return {
        ...dealComputed(
          {
            amount,
            stage,
            closeDate: Number.isFinite(closeDate) ? closeDate : null,
            createdAt: this.createdAt,
            stageEnteredAt: this.createdAt,
          },
          this.now,
        ),
        hs_number_of_overdue_tasks: '0',
        num_associated_contacts: '0',
        num_notes: '0',
        ...source,
        ...(v.dealstage === undefined ? { dealstage: null, pipeline: null } : {}),
      };
    }
    if (this.type === 'tasks') {
      const due = v.hs_timestamp ? Date.parse(v.hs_timestamp) : this.createdAt;
      const done = v.hs_task_status === 'COMPLETED';
      const overdue = !done && due < this.now;
      const body = v.hs_task_body ?? null;
      return {
        hs_createdate: created,
        hs_task_status: 'NOT_STARTED',
        hs_task_priority: 'NONE',
        hs_task_type: 'TODO',
        hs_task_family: 'SALES',
        hs_task_for_object_type: 'OWNER',
        hs_task_is_all_day: 'false',
        hs_task_is_completed: done ? '1' : '0',
        hs_task_completion_count: done ? '1' : '0',
        hs_task_is_completed_call: '0',
        hs_task_is_completed_email: '0',
        hs_task_is_completed_linked_in: '0',
        hs_task_is_completed_sequence: '0',
        hs_task_is_overdue: String(overdue),
        hs_task_is_past_due_date: String(overdue),
        hs_task_missed_due_date: String(overdue),
        hs_task_missed_due_date_count: overdue ? '1' : '0',
        hs_task_is_sub_task: 'false',
        hs_task_is_open: String(!done),
        hs_engagements_last_contacted: v.hs_timestamp ?? null,
        hs_obj_coords: `0-27-${this.id}`,
        hs_start_date_with_fallback: created,
        hs_pipeline: '3d314325-1b2a-4225-9388-375f49c57ec3',
        hs_pipeline_stage: done ? '61bafb31-e7fa-46ed-aaa9-1322438d6e67' : '60b5c368-04c4-4d32-9b4a-457e159f49b7',
        hs_task_completion_date: done ? iso(this.store.writtenAt) : null,
        ...(body !== null
          ? {
              hs_body_preview: body,
              hs_body_preview_html: `<html>\n<head></head>\n<body>\n${body}\n</body>\n</html>`,
              hs_body_preview_is_truncated: 'false',
            }
          : {}),
        ...source,
      };
    }
    if (this.type === 'companies') {
      return {
        createdate: created,
        hs_pipeline: 'companies-lifecycle-pipeline',
        lifecyclestage: 'lead',
        hs_annual_revenue_currency_code: 'USD',
        hs_num_blockers: '0',
        hs_num_child_companies: '0',
        hs_num_contacts_with_buying_roles: '0',
        hs_num_decision_makers: '0',
        hs_num_open_deals: '0',
        num_associated_contacts: '0',
        num_notes: '0',
        hs_task_label: v.name ?? null,
        website: v.domain ?? null,
        hs_v2_date_entered_current_stage: created,
        hs_v2_time_in_current_stage: created,
        ...source,
      };
    }
    return { createdate: created, ...source };
  }
}
