import type { SandboxClock } from '../clock.ts';
import type { SandboxCurrencies } from '../currency.ts';
import { DAY, extendWorld, MAX_CONTACTS, type World } from '../generate.ts';
import { parseSfId, SF_PREFIX, sfId, toSfId18 } from '../ids.ts';
import { unitFrom } from '../random.ts';
import type { RepActions } from '../rep-actions.ts';
import { pinnedIds, requiresCustomValue, requiresFalse } from '../soql/hints.ts';
import type { Catalog, ChildRelationship, FieldDef, ObjectDef, Row } from '../soql/schema.ts';
import { currencyIsoCodeField, currencyObjects, currencyRows } from './currency.ts';
import {
  AccountRow,
  contactRows,
  historyRows,
  INTEGRATION_USER_N,
  OpportunityRow,
  type Overlay,
  planTaskRows,
  type RowContext,
  stageFlags,
  stageRows,
  userId,
  userValues,
  ValuesRow,
} from './rows.ts';
import { baseObjects } from './schema.ts';

/** Ids of records created through the API start here, above every generated id. */
const MANUAL_BASE = 5_000_000_000;

export interface ManualRecord {
  object: string;
  id: string;
  values: Record<string, unknown>;
  createdAt: number;
  deletedAt: number | null;
  /** Tasks: when the rep completes it (null = never). */
  repDoneAt: number | null;
}

export interface CustomFieldRec {
  fullName: string;
  def: FieldDef;
  metadata: Record<string, unknown>;
  createdAt: number;
}

export interface PermissionSetRec {
  id: string;
  fullName: string;
  label: string;
  description: string | null;
  fieldPermissions: Array<{ field: string; readable: boolean; editable: boolean }>;
  createdAt: number;
}

export interface FieldWrite {
  object: string;
  id: string;
  fields: Record<string, unknown>;
  at: number;
}

export interface OrgOptions {
  /** Mean days until a rep completes a task created through the API; null = never. */
  taskCompletionDays: number | null;
  /** A multi-currency org (absent: single-currency, no CurrencyIsoCode anywhere). */
  currency?: SandboxCurrencies;
  /** With `currency`: advanced currency management (dated rates); default true. */
  advancedCurrency?: boolean;
  /** Reps set ForecastCategoryName on open opportunities (default: it follows the stage). */
  repForecasts?: boolean;
  /** Opt-in: which tasks reps complete, and their effect on the deal (default: all, none). */
  repActions?: RepActions;
}

class ManualRow implements Row {
  readonly id: string;
  constructor(
    private readonly rec: ManualRecord,
    private readonly now: number,
  ) {
    this.id = rec.id;
  }
  get(field: string): unknown {
    const r = this.rec;
    const done = r.repDoneAt !== null && r.repDoneAt <= this.now && r.values.IsClosed !== true;
    if (done) {
      if (field === 'Status') return 'Completed';
      if (field === 'IsClosed') return true;
      if (field === 'CompletedDateTime') return r.repDoneAt;
      if (field === 'LastModifiedDate' || field === 'SystemModstamp') return Math.max(Number(r.values[field] ?? 0), r.repDoneAt!);
    }
    if (field === 'IsDeleted') return r.deletedAt !== null && r.deletedAt <= this.now;
    return r.values[field] ?? null;
  }
}

/**
 * The sandbox Salesforce org: generated deals seen through Salesforce's objects, plus everything
 * written through the API (field values, records, custom fields, permission sets).
 */
export class SalesforceOrg implements Catalog {
  readonly orgId = sfId(SF_PREFIX.Organization, 1);
  readonly integrationUserId = userId(INTEGRATION_USER_N);
  private readonly base: Map<string, ObjectDef>;
  readonly customFields = new Map<string, CustomFieldRec>();
  readonly permissionSets = new Map<string, PermissionSetRec>();
  readonly assignments: Array<{ id: string; permissionSetId: string; assigneeId: string; createdAt: number }> = [];
  readonly overlays = new Map<string, Overlay>();
  readonly manual = new Map<string, ManualRecord>();
  readonly writes: FieldWrite[] = [];
  private manualSeq = 0;
  /** Bumped by every create, update and delete through the API (see dataVersion). */
  private changes = 0;
  private readonly tasksByWhat = new Map<string, Set<string>>();
  private readonly users = new Map<number, ValuesRow>();
  private ctx: RowContext | null = null;
  private ctxWrites = -1;

  constructor(
    readonly world: World,
    private readonly clock: SandboxClock,
    private readonly opts: OrgOptions,
  ) {
    const objects = baseObjects();
    if (opts.currency) {
      const opp = objects.find((o) => o.name === 'Opportunity')!;
      opp.fields.push(currencyIsoCodeField(opts.currency));
      objects.push(...currencyObjects(opts.advancedCurrency ?? true));
    }
    this.base = new Map(objects.map((o) => [o.name.toLowerCase(), o]));
  }

  /** The sandbox clock in whole seconds (Salesforce keeps no milliseconds). */
  now(): number {
    const t = Math.floor(this.clock.now() / 1000) * 1000;
    if (t >= this.world.generatedUntil) extendWorld(this.world, t);
    return t;
  }

  /** Changes whenever a query could answer differently: the clock's second or any API write. */
  dataVersion(): string {
    return `${this.now()}:${this.changes}`;
  }

  /** Field-level security for the integration user: from the permission sets assigned to it. */
  access(object: string, field: string): 'none' | 'read' | 'edit' {
    const full = `${object}.${field}`.toLowerCase();
    let best: 'none' | 'read' | 'edit' = 'none';
    for (const a of this.assignments) {
      if (a.assigneeId !== this.integrationUserId) continue;
      const ps = [...this.permissionSets.values()].find((p) => p.id === a.permissionSetId);
      for (const fp of ps?.fieldPermissions ?? []) {
        if (fp.field.toLowerCase() !== full) continue;
        if (fp.editable) return 'edit';
        if (fp.readable) best = 'read';
      }
    }
    return best;
  }

  describe(object: string): ObjectDef | null {
    const base = this.base.get(object.toLowerCase());
    if (!base) return null;
    const custom: FieldDef[] = [];
    for (const cf of this.customFields.values()) {
      const [obj, field] = cf.fullName.split('.');
      if (obj!.toLowerCase() !== base.name.toLowerCase()) continue;
      const access = this.access(base.name, field!);
      if (access === 'none') continue;
      custom.push(access === 'edit' ? cf.def : { ...cf.def, updateable: false, createable: false });
    }
    return custom.length ? { ...base, fields: [...base.fields, ...custom] } : base;
  }

  /** The object's definition ignoring field-level security (what exists, not what is visible). */
  objectNames(): string[] {
    return [...this.base.values()].map((o) => o.name);
  }

  /** One context per clock reading: rows built at the same instant share it. */
  rowContext(): RowContext {
    const now = this.now();
    if (this.ctx?.now === now && this.ctxWrites === this.writes.length + this.manual.size) return this.ctx;
    this.ctxWrites = this.writes.length + this.manual.size;
    this.ctx = {
      world: this.world,
      now,
      integrationUserId: this.integrationUserId,
      currency: this.opts.currency ?? null,
      repForecasts: this.opts.repForecasts ?? false,
      overlay: (id) => this.overlays.get(id),
      openTasks: (whatId) => {
        let open = false;
        let overdue = false;
        const today = Math.floor(now / DAY) * DAY;
        for (const id of this.tasksByWhat.get(whatId) ?? []) {
          const row = new ManualRow(this.manual.get(id)!, now);
          if (row.get('IsClosed') || row.get('IsDeleted')) continue;
          open = true;
          const due = row.get('ActivityDate');
          if (typeof due === 'number' && due < today) overdue = true;
        }
        return { open, overdue };
      },
    };
    return this.ctx;
  }

  /** Every visible generated opportunity row (deleted ones only with `all`). */
  *opportunityRows(opts: { all: boolean }, ctx = this.rowContext()): Iterable<OpportunityRow> {
    for (const plan of this.world.deals) {
      if (plan.createdAt > ctx.now) break;
      const row = new OpportunityRow(ctx, plan);
      if (!opts.all && row.deleted) continue;
      yield row;
    }
  }

  private *pinnedOpportunities(ids: Set<string>, opts: { all: boolean }, ctx: RowContext): Iterable<OpportunityRow> {
    for (const id of ids) {
      const row = this.opportunityById(id, ctx);
      if (row && (opts.all || !row.deleted)) yield row;
    }
  }

  opportunityById(id: string, ctx = this.rowContext()): OpportunityRow | null {
    const p = parseSfId(id);
    if (!p || p.prefix !== SF_PREFIX.Opportunity || p.n >= MANUAL_BASE) return null;
    const plan = this.world.deals[p.n - 1];
    return plan && plan.createdAt <= ctx.now ? new OpportunityRow(ctx, plan) : null;
  }

  *rows(object: string, opts: { all: boolean; where?: import('../soql/parse.ts').Cond | null }): Iterable<Row> {
    const ctx = this.rowContext();
    const name = this.base.get(object.toLowerCase())?.name;
    switch (name) {
      case 'Opportunity': {
        const ids = pinnedIds(opts.where, 'Id');
        yield* ids ? this.pinnedOpportunities(ids, opts, ctx) : this.opportunityRows(opts, ctx);
        break;
      }
      case 'Account':
        for (let n = 0; n < this.world.accounts.length; n++)
          yield new AccountRow(this.world, n, this.overlays.get(sfId(SF_PREFIX.Account, n + 1)));
        break;
      case 'OpportunityStage':
        yield* stageRows(this.world);
        break;
      case 'CurrencyType':
      case 'DatedConversionRate':
        if (this.opts.currency) yield* currencyRows(name, this.opts.currency, ctx.now);
        break;
      case 'User':
        yield new ValuesRow(this.integrationUserId, userValues(this.world, INTEGRATION_USER_N));
        for (let n = 0; n < this.world.owners.length; n++) yield new ValuesRow(userId(n), userValues(this.world, n));
        break;
      case 'Contact':
      case 'OpportunityContactRole':
      case 'OpportunityHistory':
      case 'OpportunityFieldHistory':
      case 'Task': {
        if (name === 'Task' && requiresCustomValue(opts.where)) break;
        const ids = pinnedIds(opts.where, name === 'Task' ? 'WhatId' : 'OpportunityId');
        const opps = ids && name !== 'Contact' ? this.pinnedOpportunities(ids, opts, ctx) : this.opportunityRows(opts, ctx);
        // Open-task counts (IsClosed = false) need not build every completed activity.
        const openOnly = name === 'Task' && requiresFalse(opts.where, 'IsClosed');
        for (const opp of opps) yield* this.childRowsOf(name, opp, ctx, openOnly);
        break;
      }
      default:
        break;
    }
    const now = ctx.now;
    for (const rec of this.manual.values()) {
      if (rec.object !== name) continue;
      if (!opts.all && rec.deletedAt !== null && rec.deletedAt <= now) continue;
      yield new ManualRow(rec, now);
    }
    if (name === 'PermissionSet') for (const ps of this.permissionSets.values()) yield this.permissionSetRow(ps);
    if (name === 'PermissionSetAssignment') {
      for (const a of this.assignments)
        yield new ValuesRow(a.id, { Id: a.id, PermissionSetId: a.permissionSetId, AssigneeId: a.assigneeId, SystemModstamp: a.createdAt });
    }
  }

  private childRowsOf(object: string, opp: OpportunityRow, ctx: RowContext, openTasksOnly = false): Row[] {
    switch (object) {
      case 'Contact':
        return contactRows(ctx, opp.plan, opp.view.contacts, false);
      case 'OpportunityContactRole':
        return contactRows(ctx, opp.plan, opp.view.contacts, true);
      case 'OpportunityHistory':
      case 'OpportunityFieldHistory':
        return historyRows(ctx, opp, object);
      case 'Task':
        return planTaskRows(ctx, opp, openTasksOnly);
      default:
        return [];
    }
  }

  permissionSetRow(ps: PermissionSetRec): Row {
    return new ValuesRow(ps.id, {
      Id: ps.id,
      Name: ps.fullName,
      Label: ps.label,
      Description: ps.description,
      IsCustom: true,
      CreatedDate: ps.createdAt,
      CreatedById: this.integrationUserId,
      LastModifiedDate: ps.createdAt,
      LastModifiedById: this.integrationUserId,
      SystemModstamp: ps.createdAt,
    });
  }

  byId(object: string, rawId: string): Row | null {
    const id = toSfId18(rawId);
    const ctx = this.rowContext();
    const manual = this.manual.get(id);
    if (manual) return manual.object.toLowerCase() === object.toLowerCase() ? new ManualRow(manual, ctx.now) : null;
    const p = parseSfId(id);
    if (!p) return null;
    const n = p.n - 1;
    switch (object.toLowerCase()) {
      case 'opportunity':
        return this.opportunityById(id, ctx);
      case 'account':
        return p.prefix === SF_PREFIX.Account && n < this.world.accounts.length
          ? new AccountRow(this.world, n, this.overlays.get(id))
          : null;
      case 'user': {
        if (p.prefix !== SF_PREFIX.User || (n >= this.world.owners.length && n !== INTEGRATION_USER_N)) return null;
        let u = this.users.get(n);
        if (!u) {
          u = new ValuesRow(id, userValues(this.world, n));
          this.users.set(n, u);
        }
        return u;
      }
      case 'contact': {
        if (p.prefix !== SF_PREFIX.Contact) return null;
        const opp = this.opportunityById(sfId(SF_PREFIX.Opportunity, Math.floor(n / MAX_CONTACTS) + 1), ctx);
        return opp ? (contactRows(ctx, opp.plan, opp.view.contacts, false).find((r) => r.id === id) ?? null) : null;
      }
      case 'task': {
        if (p.prefix !== SF_PREFIX.Task) return null;
        const opp = this.opportunityById(sfId(SF_PREFIX.Opportunity, Math.floor(n / 1024) + 1), ctx);
        return opp ? (planTaskRows(ctx, opp).find((r) => r.id === id) ?? null) : null;
      }
      case 'opportunitystage':
        return p.prefix === SF_PREFIX.OpportunityStage ? (stageRows(this.world).find((r) => r.id === id) ?? null) : null;
      case 'permissionsetassignment': {
        const a = this.assignments.find((x) => x.id === id);
        return a
          ? new ValuesRow(a.id, { Id: a.id, PermissionSetId: a.permissionSetId, AssigneeId: a.assigneeId, SystemModstamp: a.createdAt })
          : null;
      }
      case 'permissionset': {
        const ps = [...this.permissionSets.values()].find((x) => x.id === id);
        return ps ? this.permissionSetRow(ps) : null;
      }
      default:
        return null;
    }
  }

  children(rel: ChildRelationship, parentId: string, opts: { all: boolean }): Row[] {
    const ctx = this.rowContext();
    const opp = rel.field === 'OpportunityId' || rel.field === 'WhatId' ? this.opportunityById(parentId, ctx) : null;
    const out: Row[] = opp ? this.childRowsOf(rel.childSObject, opp, ctx) : [];
    if (!opp) {
      for (const r of this.rows(rel.childSObject, opts))
        if (String(r.get(rel.field)).toLowerCase() === toSfId18(parentId).toLowerCase()) out.push(r);
      return out;
    }
    for (const id of rel.childSObject === 'Task' ? (this.tasksByWhat.get(opp.id) ?? []) : [])
      out.push(new ManualRow(this.manual.get(id)!, ctx.now));
    return out;
  }

  /** Creates a record through the API; returns its id. */
  createRecord(object: string, values: Record<string, unknown>): ManualRecord {
    const def = this.describe(object)!;
    const id = sfId(def.keyPrefix, MANUAL_BASE + ++this.manualSeq);
    const now = this.now();
    const rec: ManualRecord = {
      object: def.name,
      id,
      values: {
        ...values,
        Id: id,
        IsDeleted: false,
        CreatedDate: now,
        CreatedById: this.integrationUserId,
        LastModifiedDate: now,
        LastModifiedById: this.integrationUserId,
        SystemModstamp: now,
      },
      createdAt: now,
      deletedAt: null,
      repDoneAt: null,
    };
    if (def.name === 'Task') this.initTask(rec);
    if (def.name === 'Opportunity') Object.assign(rec.values, stageFlags(rec.values.StageName));
    this.manual.set(id, rec);
    this.changes++;
    return rec;
  }

  private initTask(rec: ManualRecord): void {
    const v = rec.values;
    v.Status ??= 'Not Started';
    v.Priority ??= 'Normal';
    v.IsClosed = v.Status === 'Completed';
    v.IsHighPriority = v.Priority === 'High';
    v.TaskSubtype ??= 'Task';
    v.OwnerId ??= this.integrationUserId;
    const what = typeof v.WhatId === 'string' ? toSfId18(v.WhatId) : null;
    const opp = what ? this.opportunityById(what) : null;
    if (what) {
      v.WhatId = what;
      if (opp) v.AccountId = opp.get('AccountId');
      const set = this.tasksByWhat.get(what) ?? new Set<string>();
      set.add(rec.id);
      this.tasksByWhat.set(what, set);
    }
    const mean = this.opts.taskCompletionDays;
    if (mean !== null && !v.IsClosed) {
      const n = Number(parseSfId(rec.id)!.n % 2_000_000_000);
      const reps = this.opts.repActions;
      if (reps) {
        rec.repDoneAt = reps.doneAt(n, rec.createdAt, mean, String(v.OwnerId ?? ''));
        if (opp) reps.apply(opp.plan, String(v.Subject ?? ''), rec.repDoneAt);
      } else rec.repDoneAt = rec.createdAt + -Math.log(1 - unitFrom(this.world.seed, n)) * mean * DAY;
    }
  }

  /** Applies an update to any record; bumps its modstamp like Salesforce. */
  updateRecord(object: string, id: string, values: Record<string, unknown>): void {
    const now = this.now();
    this.changes++;
    const manual = this.manual.get(id);
    if (manual) {
      Object.assign(manual.values, values, { LastModifiedDate: now, LastModifiedById: this.integrationUserId, SystemModstamp: now });
      if (manual.object === 'Task') {
        manual.values.IsClosed = manual.values.Status === 'Completed';
        manual.values.IsHighPriority = manual.values.Priority === 'High';
      }
      if (manual.object === 'Opportunity') Object.assign(manual.values, stageFlags(manual.values.StageName));
    } else {
      const ov = this.overlays.get(id) ?? { values: {}, writtenAt: now, deletedAt: null };
      Object.assign(ov.values, values);
      ov.writtenAt = now;
      this.overlays.set(id, ov);
    }
    this.writes.push({ object, id, fields: values, at: now });
  }

  /** POST sobjects/PermissionSetAssignment: grants the set's field permissions to the assignee. */
  assignPermissionSet(
    values: Record<string, unknown>,
  ): { id: string } | { error: { statusCode: string; message: string; fields: string[] } } {
    const psId = toSfId18(String(values.PermissionSetId ?? ''));
    const assignee = toSfId18(String(values.AssigneeId ?? ''));
    if (![...this.permissionSets.values()].some((p) => p.id === psId)) {
      return { error: { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['PermissionSetId'] } };
    }
    if (!this.byId('User', assignee))
      return { error: { statusCode: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: ['AssigneeId'] } };
    const dup = this.assignments.find((a) => a.permissionSetId === psId && a.assigneeId === assignee);
    if (dup)
      return {
        error: {
          statusCode: 'DUPLICATE_VALUE',
          message: `duplicate value found: AssigneeId duplicates value on record with id: ${dup.id}`,
          fields: [],
        },
      };
    const id = sfId(SF_PREFIX.PermissionSetAssignment, this.assignments.length + 1);
    this.assignments.push({ id, permissionSetId: psId, assigneeId: assignee, createdAt: this.now() });
    return { id };
  }

  deleteRecord(id: string): void {
    const at = this.assignments.findIndex((a) => a.id === id);
    if (at >= 0) {
      this.assignments.splice(at, 1);
      return;
    }
    const now = this.now();
    this.changes++;
    const manual = this.manual.get(id);
    if (manual) manual.deletedAt = now;
    else {
      const ov = this.overlays.get(id) ?? { values: {}, writtenAt: now, deletedAt: null };
      ov.deletedAt = now;
      this.overlays.set(id, ov);
    }
  }
}
