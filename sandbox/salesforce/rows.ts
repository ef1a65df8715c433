import type { SandboxCurrencies } from '../currency.ts';
import { repCall } from '../forecast.ts';
import { contactOf, DAY, type DealPlan, dealName, eventOffsets, MAX_CONTACTS, planEvents, stageOf, type World } from '../generate.ts';
import { SF_PREFIX, sfId } from '../ids.ts';
import { ACTIVITY_SUBJECTS, CONTACT_ROLES, NEXT_STEPS } from '../names.ts';
import type { Row } from '../soql/schema.ts';
import { type DealView, viewAt } from '../view.ts';
import { SF_LEAD_SOURCE, SF_OPEN_STAGES, SF_STAGES, SF_TYPE } from './schema.ts';

/** Fields written through the API on top of the generated record. */
export interface Overlay {
  values: Record<string, unknown>;
  writtenAt: number;
  deletedAt: number | null;
}

/** What rows need from the org: ids, overlays, tasks created through the API. */
export interface RowContext {
  world: World;
  now: number;
  integrationUserId: string;
  /** The org's currencies when it is multi-currency. */
  currency: SandboxCurrencies | null;
  /** Reps set ForecastCategoryName themselves (else it follows the stage, Salesforce's default). */
  repForecasts: boolean;
  overlay(id: string): Overlay | undefined;
  /** Open API-created tasks on this record and whether any is overdue. */
  openTasks(whatId: string): { open: boolean; overdue: boolean };
}

export const userId = (ownerN: number) => sfId(SF_PREFIX.User, ownerN + 1);
export const INTEGRATION_USER_N = 999_999;
export const oppId = (n: number) => sfId(SF_PREFIX.Opportunity, n + 1);
export const accountId = (n: number) => sfId(SF_PREFIX.Account, n + 1);
export const contactId = (seq: number) => sfId(SF_PREFIX.Contact, seq + 1);
const FORECAST_API: Record<string, string> = {
  Pipeline: 'Pipeline',
  'Best Case': 'BestCase',
  Commit: 'Forecast',
  Closed: 'Closed',
  Omitted: 'Omitted',
};

const stageIndex = (name: unknown): number => SF_STAGES.findIndex((s) => s.name === name);

/**
 * IsClosed and IsWon of an opportunity in stage `name`. Salesforce derives both from the stage's
 * OpportunityStage and never lets a caller set them ("Directly controlled by StageName", Object
 * Reference, Opportunity); an unknown stage is neither.
 */
export function stageFlags(name: unknown): { IsClosed: boolean; IsWon: boolean } {
  const i = stageIndex(name);
  return { IsClosed: i >= SF_OPEN_STAGES, IsWon: i === SF_OPEN_STAGES };
}

export class OpportunityRow implements Row {
  readonly id: string;
  readonly view: DealView;
  private readonly ov: Overlay | undefined;
  constructor(
    private readonly ctx: RowContext,
    readonly plan: DealPlan,
  ) {
    this.id = oppId(plan.n);
    this.view = viewAt(ctx.world, plan, ctx.now);
    this.ov = ctx.overlay(this.id);
  }

  get deleted(): boolean {
    return this.view.deleted || (this.ov?.deletedAt ?? Infinity) <= this.ctx.now;
  }

  private stage(): number {
    const s = this.ov && 'StageName' in this.ov.values ? stageIndex(this.ov.values.StageName) : -1;
    return s >= 0 ? s : this.view.stage;
  }

  /** The stage's category, or the rep's own call on an open deal when reps set it. */
  private forecastName(byStage: string): string {
    const s = this.stage();
    if (!this.ctx.repForecasts || s >= SF_OPEN_STAGES) return byStage;
    return { pipeline: 'Pipeline', best_case: 'Best Case', commit: 'Commit' }[repCall(s, SF_OPEN_STAGES, this.plan)];
  }

  get(field: string): unknown {
    if (this.ov && field in this.ov.values) return this.ov.values[field];
    const v = this.view;
    const p = this.plan;
    const stage = SF_STAGES[this.stage()]!;
    const written = this.ov?.writtenAt ?? -Infinity;
    switch (field) {
      case 'Id':
        return this.id;
      case 'IsDeleted':
        return this.deleted;
      case 'AccountId':
        return accountId(p.account);
      case 'IsPrivate':
        return false;
      case 'Name':
        return dealName(this.ctx.world, p);
      case 'StageName':
        return stage.name;
      case 'Amount':
        return v.amount;
      case 'CurrencyIsoCode':
        return this.ctx.currency?.dealCurrency(p) ?? null;
      case 'Probability':
        return stage.probability;
      case 'ExpectedRevenue':
        return Math.round((((this.get('Amount') as number) * stage.probability) / 100) * 100) / 100;
      case 'CloseDate':
        return v.closeDate;
      case 'Type':
        return SF_TYPE[p.drivers.type];
      case 'NextStep':
        return v.nextStep >= 0 ? NEXT_STEPS[(p.n + v.nextStep) % NEXT_STEPS.length] : null;
      case 'LeadSource':
        return SF_LEAD_SOURCE[p.drivers.source];
      case 'IsClosed':
        return this.stage() >= SF_OPEN_STAGES;
      case 'IsWon':
        return this.stage() === SF_OPEN_STAGES;
      case 'ForecastCategory':
        return FORECAST_API[this.forecastName(stage.forecast)];
      case 'ForecastCategoryName':
        return this.forecastName(stage.forecast);
      case 'HasOpportunityLineItem':
        return false;
      case 'OwnerId':
        return userId(p.owner);
      case 'CreatedDate':
        return p.createdAt;
      case 'CreatedById':
        return userId(p.owner);
      case 'LastModifiedDate':
        return Math.max(v.lastModified, written, this.ov?.deletedAt ?? -Infinity);
      case 'LastModifiedById':
        return written > v.lastModified ? this.ctx.integrationUserId : userId(p.owner);
      case 'SystemModstamp':
        return Math.max(v.systemModstamp, written, this.ov?.deletedAt ?? -Infinity);
      case 'LastActivityDate':
        return v.lastActivity === null ? null : Math.floor(v.lastActivity / DAY) * DAY;
      case 'PushCount':
        return v.pushes;
      case 'LastStageChangeDate':
        return v.stageEvents > 1 ? v.stageEnteredAt : null;
      case 'FiscalYear':
        return new Date(v.closeDate).getUTCFullYear();
      case 'FiscalQuarter':
        return Math.floor(new Date(v.closeDate).getUTCMonth() / 3) + 1;
      case 'Fiscal':
        return `${new Date(v.closeDate).getUTCFullYear()} ${Math.floor(new Date(v.closeDate).getUTCMonth() / 3) + 1}`;
      case 'HasOpenActivity':
        return (v.followUpDue !== null && !this.get('IsClosed')) || this.ctx.openTasks(this.id).open;
      case 'HasOverdueTask': {
        const today = Math.floor(this.ctx.now / DAY) * DAY;
        return (v.followUpDue !== null && v.followUpDue < today && !this.get('IsClosed')) || this.ctx.openTasks(this.id).overdue;
      }
      case 'Loss_Reason__c':
        return v.isClosed && !v.isWon ? p.reason : null;
      default:
        return null;
    }
  }
}

/** A static record (accounts, users) or one created through the API. */
export class ValuesRow implements Row {
  constructor(
    readonly id: string,
    private readonly values: Record<string, unknown>,
    private readonly ov?: Overlay,
  ) {}
  get(field: string): unknown {
    if (this.ov && field in this.ov.values) return this.ov.values[field];
    if (this.ov && (field === 'SystemModstamp' || field === 'LastModifiedDate'))
      return Math.max(Number(this.values[field] ?? 0), this.ov.writtenAt);
    return this.values[field] ?? null;
  }
}

/** A generated account; values computed per field (no per-row object of 80 fields). */
export class AccountRow implements Row {
  readonly id: string;
  private values: Record<string, unknown> | null = null;
  constructor(
    private readonly world: World,
    private readonly n: number,
    private readonly ov?: Overlay,
  ) {
    this.id = accountId(n);
  }
  get(field: string): unknown {
    if (this.ov && field in this.ov.values) return this.ov.values[field];
    const a = this.world.accounts[this.n]!;
    switch (field) {
      case 'Id':
        return this.id;
      case 'Name':
        return a.name;
      case 'Industry':
        return a.industry;
      case 'BillingCountry':
        return a.country;
      case 'BillingCity':
        return a.city;
      case 'BillingState':
        return a.state;
      case 'NumberOfEmployees':
        return a.employees;
      case 'AnnualRevenue':
        return a.annualRevenue;
      case 'Region__c':
        return a.region;
      case 'Segment__c':
        return a.size;
      case 'IsDeleted':
        return false;
      case 'SystemModstamp':
      case 'LastModifiedDate':
        return Math.max(a.createdAt, this.ov?.writtenAt ?? -Infinity);
      default:
        this.values ??= accountValues(this.world, this.n);
        return this.values[field] ?? null;
    }
  }
}

export function accountValues(world: World, n: number): Record<string, unknown> {
  const a = world.accounts[n]!;
  const id = accountId(n);
  const street = `${100 + (n % 800)} Market Street`;
  const addr = {
    city: a.city,
    country: a.country,
    countryCode: a.countryCode,
    geocodeAccuracy: null,
    latitude: null,
    longitude: null,
    postalCode: null,
    state: a.state,
    stateCode: a.state,
    street,
  };
  const owner = userId(n % world.owners.length);
  return {
    Id: id,
    IsDeleted: false,
    Name: a.name,
    Type: 'Customer - Direct',
    BillingStreet: street,
    BillingCity: a.city,
    BillingState: a.state,
    BillingCountry: a.country,
    BillingStateCode: a.state,
    BillingCountryCode: a.countryCode,
    BillingAddress: addr,
    ShippingAddress: { ...addr, city: null, country: null, countryCode: null, state: null, stateCode: null },
    ShippingStreet: street,
    Industry: a.industry,
    AnnualRevenue: a.annualRevenue,
    NumberOfEmployees: a.employees,
    Website: `https://www.${a.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`,
    PhotoUrl: `/services/images/photo/${id}`,
    Ownership: 'Private',
    Rating: 'Warm',
    OwnerId: owner,
    CreatedDate: a.createdAt,
    CreatedById: owner,
    LastModifiedDate: a.createdAt,
    LastModifiedById: owner,
    SystemModstamp: a.createdAt,
    CleanStatus: 'Pending',
    CustomerPriority__c: 'Medium',
    SLA__c: 'Silver',
    Active__c: 'Yes',
    NumberofLocations__c: 1 + (n % 5),
    UpsellOpportunity__c: 'Maybe',
    Region__c: a.region,
    Segment__c: a.size,
  };
}

export function userValues(world: World, n: number): Record<string, unknown> {
  const integration = n === INTEGRATION_USER_N;
  const o = integration ? null : world.owners[n]!;
  const first = o?.firstName ?? 'Integration';
  const last = o?.lastName ?? 'User';
  const email = o?.email ?? 'integration@sandbox-crm.example';
  const created = o?.createdAt ?? world.startMs - 1000 * DAY;
  return {
    Id: userId(n),
    Username: email,
    FirstName: first,
    LastName: last,
    Name: `${first} ${last}`,
    Title: o?.title ?? 'System Administrator',
    Email: email,
    IsActive: true,
    Alias: (first.slice(0, 1) + last.slice(0, 4)).toLowerCase(),
    TimeZoneSidKey: 'America/Los_Angeles',
    UserType: 'Standard',
    CreatedDate: created,
    CreatedById: userId(INTEGRATION_USER_N),
    LastModifiedDate: created,
    LastModifiedById: userId(INTEGRATION_USER_N),
    SystemModstamp: created,
  };
}

export function contactRows(ctx: RowContext, plan: DealPlan, count: number, includeRoles: boolean): Row[] {
  const out: Row[] = [];
  for (let k = 0; k < count; k++) {
    const c = contactOf(ctx.world, plan, k);
    const id = contactId(c.seq);
    const owner = userId(plan.owner);
    const audit = {
      CreatedDate: c.createdAt,
      CreatedById: owner,
      LastModifiedDate: c.createdAt,
      LastModifiedById: owner,
      SystemModstamp: c.createdAt,
      IsDeleted: false,
    };
    out.push(
      includeRoles
        ? new ValuesRow(sfId(SF_PREFIX.OpportunityContactRole, c.seq + 1), {
            Id: sfId(SF_PREFIX.OpportunityContactRole, c.seq + 1),
            OpportunityId: oppId(plan.n),
            ContactId: id,
            Role: CONTACT_ROLES[c.seq % CONTACT_ROLES.length],
            IsPrimary: k === 0,
            ...audit,
          })
        : new ValuesRow(id, {
            Id: id,
            AccountId: accountId(plan.account),
            FirstName: c.firstName,
            LastName: c.lastName,
            Name: `${c.firstName} ${c.lastName}`,
            Title: c.title,
            Email: c.email,
            OwnerId: owner,
            ...audit,
          }),
    );
  }
  return out;
}

const TASK_SLOTS = 1024;
export const planTaskId = (n: number, i: number) => sfId(SF_PREFIX.Task, n * TASK_SLOTS + i + 1);

/** Completed activities up to now (unless `openOnly`), plus the open follow-up a week after the last touch. */
export function planTaskRows(ctx: RowContext, row: OpportunityRow, openOnly = false): Row[] {
  const { plan, view } = row;
  const d = ctx.world.pool.data;
  const o = eventOffsets(plan);
  const owner = userId(plan.owner);
  const base = {
    WhatId: row.id,
    OwnerId: owner,
    AccountId: accountId(plan.account),
    WhoId: contactId(plan.n * MAX_CONTACTS),
    Priority: 'Normal',
    IsHighPriority: false,
    IsDeleted: false,
    Description: null,
    CreatedById: owner,
    LastModifiedById: owner,
  };
  const out: Row[] = [];
  for (let i = 0; i < (openOnly ? 0 : view.activityCount) && i < TASK_SLOTS - 1; i++) {
    const t = d[o.activities + i]!;
    const subject = ACTIVITY_SUBJECTS[(plan.n + i) % ACTIVITY_SUBJECTS.length]!;
    out.push(
      new ValuesRow(planTaskId(plan.n, i), {
        ...base,
        Id: planTaskId(plan.n, i),
        Subject: subject,
        ActivityDate: Math.floor(t / DAY) * DAY,
        Status: 'Completed',
        IsClosed: true,
        TaskSubtype: subject.includes('mail') ? 'Email' : subject.includes('all') ? 'Call' : 'Task',
        CompletedDateTime: t,
        CreatedDate: t,
        LastModifiedDate: t,
        SystemModstamp: t,
      }),
    );
  }
  if (view.followUpDue !== null && !row.get('IsClosed') && !row.deleted) {
    const created = view.lastActivity ?? plan.createdAt;
    out.push(
      new ValuesRow(planTaskId(plan.n, TASK_SLOTS - 2), {
        ...base,
        Id: planTaskId(plan.n, TASK_SLOTS - 2),
        Subject: 'Follow up',
        ActivityDate: view.followUpDue,
        Status: 'Not Started',
        IsClosed: false,
        TaskSubtype: 'Task',
        CompletedDateTime: null,
        CreatedDate: created,
        LastModifiedDate: created,
        SystemModstamp: created,
      }),
    );
  }
  return out;
}

/** OpportunityStage: the sales process's stages in ladder order, as Setup shows them. */
export function stageRows(world: World): Row[] {
  const created = world.startMs - 1000 * DAY;
  const admin = userId(INTEGRATION_USER_N);
  return SF_STAGES.map((s, i) => {
    const id = sfId(SF_PREFIX.OpportunityStage, i + 1);
    return new ValuesRow(id, {
      Id: id,
      MasterLabel: s.name,
      ApiName: s.name,
      IsActive: true,
      SortOrder: i + 1,
      IsClosed: i >= SF_OPEN_STAGES,
      IsWon: i === SF_OPEN_STAGES,
      ForecastCategory: FORECAST_API[s.forecast],
      ForecastCategoryName: s.forecast,
      DefaultProbability: s.probability,
      Description: null,
      CreatedDate: created,
      CreatedById: admin,
      LastModifiedDate: created,
      LastModifiedById: admin,
      SystemModstamp: created,
    });
  });
}

/** OpportunityHistory (one row per change of stage, amount or close date) and OpportunityFieldHistory. */
export function historyRows(ctx: RowContext, row: OpportunityRow, kind: 'OpportunityHistory' | 'OpportunityFieldHistory'): Row[] {
  const { plan } = row;
  const ev = planEvents(ctx.world, plan);
  const until = row.view.deletedAt ?? ctx.now;
  type Change = { at: number; field: 'created' | 'StageName' | 'Amount' | 'CloseDate'; i: number };
  const changes: Change[] = [{ at: plan.createdAt, field: 'created', i: 0 }];
  for (let i = 1; i < ev.stageAt.length; i++) if (ev.stageAt[i]! <= until) changes.push({ at: ev.stageAt[i]!, field: 'StageName', i });
  for (let i = 1; i < ev.amountAt.length; i++) if (ev.amountAt[i]! <= until) changes.push({ at: ev.amountAt[i]!, field: 'Amount', i });
  for (let i = 1; i < ev.closeDateAt.length; i++)
    if (ev.closeDateAt[i]! <= until) changes.push({ at: ev.closeDateAt[i]!, field: 'CloseDate', i });
  changes.sort((a, b) => a.at - b.at);
  const prefix = kind === 'OpportunityHistory' ? SF_PREFIX.OpportunityHistory : SF_PREFIX.OpportunityFieldHistory;
  const owner = userId(plan.owner);
  let stage = 0;
  let amount = ev.amounts[0]!;
  let closeDate = ev.closeDates[0]!;
  return changes.map((c, k) => {
    const prev = { stage, amount, closeDate };
    if (c.field === 'StageName') stage = stageOf(plan, c.i, SF_OPEN_STAGES);
    if (c.field === 'Amount') amount = ev.amounts[c.i]!;
    if (c.field === 'CloseDate') closeDate = ev.closeDates[c.i]!;
    if (c.field === 'StageName' && stage >= SF_OPEN_STAGES) closeDate = Math.floor(plan.closeAt / DAY) * DAY;
    const id = sfId(prefix, plan.n * 256 + k + 1);
    const common = { Id: id, OpportunityId: row.id, CreatedById: owner, CreatedDate: c.at, IsDeleted: false };
    if (kind === 'OpportunityFieldHistory') {
      const [oldV, newV, dataType] =
        c.field === 'StageName'
          ? [SF_STAGES[prev.stage]!.name, SF_STAGES[stage]!.name, 'DynamicEnum']
          : c.field === 'Amount'
            ? [prev.amount, amount, 'Currency']
            : c.field === 'CloseDate'
              ? [dateStr(prev.closeDate), dateStr(closeDate), 'Date']
              : [null, null, 'Text'];
      return new ValuesRow(id, { ...common, Field: c.field, DataType: dataType, OldValue: oldV, NewValue: newV });
    }
    const s = SF_STAGES[stage]!;
    return new ValuesRow(id, {
      ...common,
      StageName: s.name,
      Amount: amount,
      ExpectedRevenue: (amount * s.probability) / 100,
      CloseDate: closeDate,
      Probability: s.probability,
      ForecastCategory: FORECAST_API[s.forecast],
      SystemModstamp: c.at,
      PrevAmount: k === 0 ? null : prev.amount,
      PrevCloseDate: k === 0 ? null : prev.closeDate,
    });
  });
}

const dateStr = (ms: number) => new Date(ms).toISOString().slice(0, 10);
