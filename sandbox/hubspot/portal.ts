import type { SandboxClock } from '../clock.ts';
import { DAY, extendWorld, MAX_CONTACTS, type World } from '../generate.ts';
import { HS_ID_BASE, hsId, parseHsId } from '../ids.ts';
import { unitFrom } from '../random.ts';
import type { RepActions } from '../rep-actions.ts';
import { viewAt } from '../view.ts';
import { builtinGroups, builtinProperties, HS_TYPES, type HsType, type PropertyDef, type PropertyGroup } from './catalog.ts';
import { CompanyObj, ContactObj, type DealFlavour, DealObj, type HsObject, type HsOverlay, ManualObj, ownerId } from './records.ts';

const MANUAL_BASE = 5_000_000_000;

/** Association type ids (HUBSPOT_DEFINED) and their v3 names, both directions. */
export const ASSOC: Record<string, { typeId: number; name: string }> = {
  'deals>companies': { typeId: 5, name: 'deal_to_company' },
  'companies>deals': { typeId: 6, name: 'company_to_deal' },
  'deals>contacts': { typeId: 3, name: 'deal_to_contact' },
  'contacts>deals': { typeId: 4, name: 'contact_to_deal' },
  'contacts>companies': { typeId: 1, name: 'contact_to_company' },
  'companies>contacts': { typeId: 2, name: 'company_to_contact' },
  'tasks>deals': { typeId: 216, name: 'task_to_deal' },
  'deals>tasks': { typeId: 215, name: 'deal_to_task' },
  'tasks>contacts': { typeId: 204, name: 'task_to_contact' },
  'contacts>tasks': { typeId: 203, name: 'contact_to_task' },
  'tasks>companies': { typeId: 192, name: 'task_to_company' },
  'companies>tasks': { typeId: 191, name: 'company_to_task' },
};

export interface AssocLink {
  id: string;
  typeId: number;
  name: string;
  primary: boolean;
}

interface ManualRec {
  type: HsType;
  id: string;
  createdAt: number;
  store: HsOverlay;
  repDoneAt: number | null;
}

export interface PropertyWrite {
  type: HsType;
  id: string;
  properties: Record<string, string | null>;
  at: number;
}

export interface PortalOptions {
  portalId: number;
  /** Mean days until a rep completes a task created through the API; null = never. */
  taskCompletionDays: number | null;
  /** Opt-in: a multi-currency portal, reps' forecast categories (default neither). */
  deals?: DealFlavour;
  /** Opt-in: which tasks reps complete, and their effect on the deal (default: all, none). */
  repActions?: RepActions;
}

/** The sandbox HubSpot portal: generated deals, companies, contacts and owners, plus API writes. */
export class HubSpotPortal {
  readonly properties: Record<HsType, Map<string, PropertyDef>>;
  readonly groups: Record<HsType, Map<string, PropertyGroup>>;
  readonly overlays = new Map<string, HsOverlay>();
  readonly manual = new Map<string, ManualRec>();
  private readonly links = new Map<string, Array<{ toType: HsType; toId: string; typeId: number }>>();
  readonly writes: PropertyWrite[] = [];
  private seq = 0;

  constructor(
    readonly world: World,
    private readonly clock: SandboxClock,
    readonly opts: PortalOptions,
  ) {
    const types = Object.keys(HS_TYPES) as HsType[];
    this.properties = Object.fromEntries(types.map((t) => [t, new Map(builtinProperties(t).map((p) => [p.name, p]))])) as Record<
      HsType,
      Map<string, PropertyDef>
    >;
    this.groups = Object.fromEntries(types.map((t) => [t, new Map(builtinGroups(t).map((g) => [g.name, g]))])) as Record<
      HsType,
      Map<string, PropertyGroup>
    >;
  }

  get portalId(): number {
    return this.opts.portalId;
  }

  now(): number {
    const t = this.clock.now();
    if (t >= this.world.generatedUntil) extendWorld(this.world, t);
    return t;
  }

  private key(type: HsType, id: string) {
    return `${type}:${id}`;
  }

  private manualObj(r: ManualRec, now: number): ManualObj {
    return new ManualObj(r.type, r.id, r.createdAt, now, r.store, r.repDoneAt);
  }

  /** Every object of a type that exists now: live ones, or only archived ones with `archived`. */
  *objects(type: HsType, opts: { archived: boolean; fromId?: string }): Iterable<HsObject> {
    const now = this.now();
    // List paging resumes at an id: start the generated ranges there instead of scanning.
    const from = opts.fromId !== undefined && /^\d+$/.test(opts.fromId) ? Number(opts.fromId) : 0;
    const start = (kind: HsType, div = 1) => Math.max(0, Math.floor((from - HS_ID_BASE[kind]) / div));
    const keep = (o: HsObject) => {
      const a = o.archivedAt();
      return (a !== null && a <= now) === opts.archived;
    };
    if (type === 'deals') {
      for (let i = start('deals'); i < this.world.deals.length; i++) {
        const plan = this.world.deals[i]!;
        if (plan.createdAt > now) break;
        const o = new DealObj(this.world, plan, now, this.overlays.get(this.key('deals', hsId('deals', plan.n))), this.opts.deals);
        if (keep(o)) yield o;
      }
    } else if (type === 'companies') {
      for (let n = start('companies'); n < this.world.accounts.length; n++) {
        const o = new CompanyObj(this.world, n, now, this.overlays.get(this.key('companies', hsId('companies', n))));
        if (keep(o)) yield o;
      }
    } else if (type === 'contacts') {
      for (let i = start('contacts', MAX_CONTACTS); i < this.world.deals.length; i++) {
        const plan = this.world.deals[i]!;
        if (plan.createdAt > now) break;
        const v = viewAt(this.world, plan, now);
        for (let k = 0; k < v.contacts; k++) {
          if (HS_ID_BASE.contacts + plan.n * MAX_CONTACTS + k < from) continue;
          const o = new ContactObj(
            this.world,
            plan,
            k,
            now,
            this.overlays.get(this.key('contacts', hsId('contacts', plan.n * MAX_CONTACTS + k))),
          );
          if (keep(o)) yield o;
        }
      }
    }
    for (const r of this.manual.values()) {
      if (r.type !== type || Number(r.id) < from) continue;
      const o = this.manualObj(r, now);
      if (keep(o)) yield o;
    }
  }

  /** One object by id (archived ones only when asked). */
  get(type: HsType, id: string, archived = false): HsObject | null {
    const now = this.now();
    const m = this.manual.get(this.key(type, id));
    let o: HsObject | null = null;
    if (m) o = this.manualObj(m, now);
    else {
      const n = type === 'tasks' ? null : parseHsId(type, id);
      const ov = this.overlays.get(this.key(type, id));
      if (n !== null && n < MANUAL_BASE) {
        if (type === 'deals') {
          const plan = this.world.deals[n];
          o = plan && plan.createdAt <= now ? new DealObj(this.world, plan, now, ov, this.opts.deals) : null;
        } else if (type === 'companies') {
          o = n < this.world.accounts.length ? new CompanyObj(this.world, n, now, ov) : null;
        } else if (type === 'contacts') {
          const plan = this.world.deals[Math.floor(n / MAX_CONTACTS)];
          const k = n % MAX_CONTACTS;
          o =
            plan && plan.createdAt <= now && k < viewAt(this.world, plan, now).contacts
              ? new ContactObj(this.world, plan, k, now, ov)
              : null;
        }
      }
    }
    if (!o) return null;
    const a = o.archivedAt();
    return (a !== null && a <= now) === archived ? o : null;
  }

  /** Associations from one object to a type: generated links plus ones made through the API. */
  associations(type: HsType, id: string, to: HsType): AssocLink[] {
    const spec = ASSOC[`${type}>${to}`];
    if (!spec) return [];
    const out: AssocLink[] = [];
    const now = this.now();
    const n = parseHsId(type, id);
    if (n !== null && n < MANUAL_BASE) {
      if (type === 'deals' && this.world.deals[n]) {
        const plan = this.world.deals[n]!;
        if (to === 'companies') out.push({ id: hsId('companies', plan.account), ...spec, primary: true });
        if (to === 'contacts') {
          const v = viewAt(this.world, plan, now);
          for (let k = 0; k < v.contacts; k++) out.push({ id: hsId('contacts', plan.n * MAX_CONTACTS + k), ...spec, primary: false });
        }
      }
      if (type === 'contacts' && this.world.deals[Math.floor(n / MAX_CONTACTS)]) {
        const plan = this.world.deals[Math.floor(n / MAX_CONTACTS)]!;
        if (to === 'deals') out.push({ id: hsId('deals', plan.n), ...spec, primary: false });
        if (to === 'companies') out.push({ id: hsId('companies', plan.account), ...spec, primary: true });
      }
    }
    for (const l of this.links.get(this.key(type, id)) ?? [])
      if (l.toType === to && !out.some((o) => o.id === l.toId)) out.push({ id: l.toId, typeId: l.typeId, name: spec.name, primary: false });
    return out;
  }

  /** Links two objects (both directions), as v3 batch create and v4 PUT do. */
  associate(fromType: HsType, fromId: string, toType: HsType, toId: string): boolean {
    const fwd = ASSOC[`${fromType}>${toType}`];
    const back = ASSOC[`${toType}>${fromType}`];
    if (!fwd || !back) return false;
    const add = (t: HsType, id: string, tt: HsType, tid: string, typeId: number) => {
      const list = this.links.get(this.key(t, id)) ?? [];
      if (!list.some((l) => l.toType === tt && l.toId === tid)) list.push({ toType: tt, toId: tid, typeId });
      this.links.set(this.key(t, id), list);
    };
    add(fromType, fromId, toType, toId, fwd.typeId);
    add(toType, toId, fromType, fromId, back.typeId);
    if (fromType === 'tasks' && toType === 'deals') this.taskLinked(fromId, toId);
    return true;
  }

  /** A task linked to a generated deal: its rep's completion may change how the deal ends (repActions). */
  private taskLinked(taskId: string, dealId: string): void {
    const rec = this.manual.get(this.key('tasks', taskId));
    const n = parseHsId('deals', dealId);
    const plan = n !== null && n < MANUAL_BASE ? this.world.deals[n] : undefined;
    if (rec && plan) this.opts.repActions?.apply(plan, rec.store.values.hs_task_subject ?? '', rec.repDoneAt);
  }

  /** Creates an object with already-validated string properties. */
  create(type: HsType, props: Record<string, string | null>): HsObject {
    const now = this.now();
    const n = MANUAL_BASE + ++this.seq;
    const id = String(HS_ID_BASE[type] + n);
    let repDoneAt: number | null = null;
    if (type === 'tasks' && this.opts.taskCompletionDays !== null && props.hs_task_status !== 'COMPLETED') {
      const reps = this.opts.repActions;
      repDoneAt = reps
        ? reps.doneAt(n, now, this.opts.taskCompletionDays, props.hubspot_owner_id ?? '')
        : now - Math.log(1 - unitFrom(this.world.seed, n)) * this.opts.taskCompletionDays * DAY;
    }
    const rec: ManualRec = {
      type,
      id,
      createdAt: now,
      store: { values: { ...props }, writtenAt: now, archivedAt: null, history: [] },
      repDoneAt,
    };
    if (type === 'tasks') rec.store.values.hubspot_owner_id ??= null;
    this.manual.set(this.key(type, id), rec);
    this.writes.push({ type, id, properties: props, at: now });
    return this.manualObj(rec, now);
  }

  /** Writes properties (already validated); bumps hs_lastmodifieddate like HubSpot. */
  update(type: HsType, id: string, props: Record<string, string | null>): void {
    const now = this.now();
    const k = this.key(type, id);
    const store = this.manual.get(k)?.store ?? this.overlays.get(k) ?? { values: {}, writtenAt: now, archivedAt: null, history: [] };
    for (const [p, v] of Object.entries(props)) {
      store.values[p] = v;
      store.history.push({ prop: p, value: v, at: now });
    }
    store.writtenAt = now;
    if (!this.manual.has(k)) this.overlays.set(k, store);
    this.writes.push({ type, id, properties: props, at: now });
  }

  archive(type: HsType, id: string): void {
    const now = this.now();
    const k = this.key(type, id);
    const store = this.manual.get(k)?.store ?? this.overlays.get(k) ?? { values: {}, writtenAt: now, archivedAt: null, history: [] };
    store.archivedAt = now;
    if (!this.manual.has(k)) this.overlays.set(k, store);
  }

  owners(): Array<Record<string, unknown>> {
    return this.world.owners.map((o) => ({
      id: ownerId(o.n),
      email: o.email,
      type: 'PERSON',
      firstName: o.firstName,
      lastName: o.lastName,
      userId: 1000 + o.n,
      userIdIncludingInactive: 1000 + o.n,
      createdAt: new Date(o.createdAt).toISOString(),
      updatedAt: new Date(o.createdAt).toISOString(),
      archived: false,
    }));
  }
}
