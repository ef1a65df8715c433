import {
  DEAL_TYPES,
  type DealDrivers,
  type DealKind,
  INDUSTRIES,
  INDUSTRY_WEIGHTS,
  type Industry,
  type LeadSource,
  NOISE_SD,
  REGION_WEIGHTS,
  REGIONS,
  type Region,
  SEGMENT_NORMS,
  SIZE_WEIGHTS,
  SIZES,
  type Size,
  SOURCE_WEIGHTS,
  SOURCES,
  sigmoid,
  TYPE_NORMS,
  TYPE_WEIGHTS,
  winLogit,
} from './model.ts';
import { COMPANY_HEADS, COMPANY_TAILS, COUNTRIES, FIRST_NAMES, LAST_NAMES, LOSS_REASONS, PRODUCTS, TITLES, WIN_REASONS } from './names.ts';
import { createRng, mixSeed, type Rng } from './random.ts';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;
/** Most contacts a generated deal can have (contact ids are derived from deal number × this). */
export const MAX_CONTACTS = 7;
/** New deals are generated lazily in chunks of this many days as the clock moves on. */
const CHUNK_DAYS = 30;

export interface AccountRec {
  n: number;
  name: string;
  industry: Industry;
  region: Region;
  size: Size;
  country: string;
  countryCode: string;
  city: string;
  state: string | null;
  employees: number;
  annualRevenue: number;
  createdAt: number;
}

export interface OwnerRec {
  n: number;
  firstName: string;
  lastName: string;
  email: string;
  title: string;
  /** Activity intensity multiplier (some reps touch deals far more often). */
  intensity: number;
  createdAt: number;
}

/**
 * One deal's whole life, planned at generation. The CRMs show the projection of this plan at
 * the sandbox clock's "now": events after now are invisible until the clock passes them.
 * Event times live in the world's shared pool (see EventPool) to keep 100,000 deals small.
 */
export interface DealPlan {
  n: number;
  account: number;
  owner: number;
  drivers: DealDrivers;
  /** log-odds of winning from the observable drivers (the generating model's own score). */
  logit: number;
  won: boolean;
  createdAt: number;
  closeAt: number;
  deletedAt: number | null;
  reason: string;
  /** Offset of this deal's events in the pool, and how many of each kind it has. */
  ev: number;
  nStage: number;
  nAmount: number;
  nClose: number;
  nAct: number;
  nTouch: number;
  nContact: number;
}

/** A growable Float64Array holding every deal's event times and values. */
export interface EventPool {
  data: Float64Array;
  length: number;
}

/** A deal's event lists as arrays (for tests and rendering of history). */
export interface PlanEvents {
  /** Stage index entered at stageAt[i]; the last entry (at closeAt) is openStages (won) or openStages+1 (lost). */
  stageAt: Float64Array;
  amountAt: Float64Array;
  amounts: Float64Array;
  /** Expected close date (UTC midnight ms) set at closeDateAt[i]; each later entry is a push. */
  closeDateAt: Float64Array;
  closeDates: Float64Array;
  /** Completed activities (calls, emails, meetings). */
  activities: Float64Array;
  /** Next-step edits; the text is chosen by the edit's index. */
  touches: Float64Array;
  /** When each stakeholder (contact role) was added. */
  contactAt: Float64Array;
}

/** Offsets of each event list inside the pool for one deal. */
export function eventOffsets(p: DealPlan) {
  const stageAt = p.ev;
  const amountAt = stageAt + p.nStage;
  const amounts = amountAt + p.nAmount;
  const closeDateAt = amounts + p.nAmount;
  const closeDates = closeDateAt + p.nClose;
  const activities = closeDates + p.nClose;
  const touches = activities + p.nAct;
  const contactAt = touches + p.nTouch;
  return { stageAt, amountAt, amounts, closeDateAt, closeDates, activities, touches, contactAt, end: contactAt + p.nContact };
}

export function planEvents(world: World, p: DealPlan): PlanEvents {
  const o = eventOffsets(p);
  const d = world.pool.data;
  return {
    stageAt: d.subarray(o.stageAt, o.amountAt),
    amountAt: d.subarray(o.amountAt, o.amounts),
    amounts: d.subarray(o.amounts, o.closeDateAt),
    closeDateAt: d.subarray(o.closeDateAt, o.closeDates),
    closeDates: d.subarray(o.closeDates, o.activities),
    activities: d.subarray(o.activities, o.touches),
    touches: d.subarray(o.touches, o.contactAt),
    contactAt: d.subarray(o.contactAt, o.end),
  };
}

/** The stage index of the i-th stage event. */
export const stageOf = (p: DealPlan, i: number, openStages: number): number => (i < p.nStage - 1 ? i : p.won ? openStages : openStages + 1);

export function dealName(world: World, p: DealPlan): string {
  const account = world.accounts[p.account]!;
  const product = PRODUCTS[(p.n + account.n) % PRODUCTS.length]!;
  const suffix = p.drivers.type === 'renewal' ? ' Renewal' : p.drivers.type === 'expansion' ? ' Expansion' : '';
  return `${account.name} - ${product}${suffix}`;
}

function poolAppend(pool: EventPool, lists: ArrayLike<number>[]): number {
  let need = 0;
  for (const l of lists) need += l.length;
  if (pool.length + need > pool.data.length) {
    const grown = new Float64Array(Math.max(pool.data.length * 2, pool.length + need, 1024));
    grown.set(pool.data.subarray(0, pool.length));
    pool.data = grown;
  }
  const at = pool.length;
  for (const l of lists) {
    for (let i = 0; i < l.length; i++) pool.data[pool.length++] = l[i]!;
  }
  return at;
}

export interface World {
  seed: number;
  startMs: number;
  historyDays: number;
  openStages: number;
  accounts: AccountRec[];
  owners: OwnerRec[];
  deals: DealPlan[];
  pool: EventPool;
  /** Deals are generated up to (not including) this time. */
  generatedUntil: number;
  arrivalsPerDay: number;
}

export interface GenerateOptions {
  seed: number;
  /** Deals that exist at startMs. */
  deals: number;
  startMs: number;
  /** Open stages in the CRM's pipeline (Salesforce 6, HubSpot 5). */
  openStages: number;
  /** How far back the first deals were created. */
  historyDays?: number;
}

const dayFloor = (t: number): number => Math.floor(t / DAY) * DAY;
const sec = (t: number): number => Math.floor(t / 1000) * 1000;

function makeAccounts(rng: Rng, count: number, startMs: number, historyDays: number): AccountRec[] {
  const combos = COMPANY_HEADS.length * COMPANY_TAILS.length;
  return Array.from({ length: count }, (_, n) => {
    const region = rng.weighted(REGIONS, REGION_WEIGHTS);
    const place = rng.pick(COUNTRIES[region]!);
    const size = rng.weighted(SIZES, SIZE_WEIGHTS);
    const employees = Math.round(
      size === 'SMB' ? rng.uniform(10, 200) : size === 'Mid-Market' ? rng.uniform(200, 2000) : rng.uniform(2000, 50000),
    );
    const base = `${COMPANY_HEADS[n % COMPANY_HEADS.length]} ${COMPANY_TAILS[Math.floor(n / COMPANY_HEADS.length) % COMPANY_TAILS.length]}`;
    return {
      n,
      name: n < combos ? base : `${base} ${Math.floor(n / combos) + 1}`,
      industry: rng.weighted(INDUSTRIES, INDUSTRY_WEIGHTS),
      region,
      size,
      country: place.country,
      countryCode: place.code,
      city: place.city,
      state: place.state ?? null,
      employees,
      annualRevenue: Math.round((employees * rng.logNormal(180_000, 0.4)) / 1000) * 1000,
      createdAt: startMs - (historyDays + rng.uniform(30, 900)) * DAY,
    };
  });
}

function makeOwners(rng: Rng, count: number, startMs: number): OwnerRec[] {
  return Array.from({ length: count }, (_, n) => {
    const firstName = FIRST_NAMES[n % FIRST_NAMES.length]!;
    const lastName = LAST_NAMES[(n * 7 + Math.floor(n / FIRST_NAMES.length)) % LAST_NAMES.length]!;
    return {
      n,
      firstName,
      lastName,
      email: `${firstName}.${lastName}${n >= FIRST_NAMES.length ? n : ''}@sandbox-crm.example`.toLowerCase(),
      title: n % 8 === 0 ? 'Sales Manager' : 'Account Executive',
      intensity: rng.logNormal(1, 0.35),
      createdAt: startMs - rng.uniform(400, 1500) * DAY,
    };
  });
}

/** Creates the organisation and its first `deals` deals, all created before startMs. */
export function generateWorld(opts: GenerateOptions): World {
  const historyDays = opts.historyDays ?? 365;
  const rng = createRng(mixSeed(opts.seed, 1));
  const accounts = makeAccounts(rng, Math.max(8, Math.ceil(opts.deals / 6)), opts.startMs, historyDays);
  const owners = makeOwners(rng, Math.min(300, Math.max(3, Math.round(opts.deals / 40))), opts.startMs);
  const world: World = {
    seed: opts.seed,
    startMs: opts.startMs,
    historyDays,
    openStages: opts.openStages,
    accounts,
    owners,
    deals: [],
    pool: { data: new Float64Array(Math.max(1024, opts.deals * 24)), length: 0 },
    generatedUntil: opts.startMs,
    arrivalsPerDay: opts.deals / historyDays,
  };
  const dealRng = createRng(mixSeed(opts.seed, 2));
  const created = Array.from({ length: opts.deals }, () => opts.startMs - dealRng.next() * historyDays * DAY).sort((a, b) => a - b);
  for (const t of created) world.deals.push(planDeal(dealRng, world, world.deals.length, t));
  return world;
}

/** Generates the deals created up to `untilMs` (lazily, in fixed chunks, so any step pattern gives the same deals). */
export function extendWorld(world: World, untilMs: number): number {
  let added = 0;
  while (world.generatedUntil <= untilMs) {
    const chunk = Math.round((world.generatedUntil - world.startMs) / (CHUNK_DAYS * DAY));
    const rng = createRng(mixSeed(world.seed, 1000 + chunk));
    const from = world.generatedUntil;
    const count = rng.poisson(world.arrivalsPerDay * CHUNK_DAYS);
    const times = Array.from({ length: count }, () => from + rng.next() * CHUNK_DAYS * DAY).sort((a, b) => a - b);
    for (const t of times) world.deals.push(planDeal(rng, world, world.deals.length, t));
    world.generatedUntil = from + CHUNK_DAYS * DAY;
    added += count;
  }
  return added;
}

function planDeal(rng: Rng, world: World, n: number, t0: number): DealPlan {
  const account = world.accounts[rng.int(0, world.accounts.length)]!;
  const owner = world.owners[rng.int(0, world.owners.length)]!;
  const source: LeadSource = rng.weighted(SOURCES, SOURCE_WEIGHTS);
  const type: DealKind = rng.weighted(DEAL_TYPES, TYPE_WEIGHTS);
  const seg = SEGMENT_NORMS[account.size];
  const amountNorm = seg.amountMedian * TYPE_NORMS[type].amount;
  const amount = Math.max(500, Math.round(rng.logNormal(amountNorm, 0.7) / 100) * 100);
  const cycleNorm = seg.cycleDays * TYPE_NORMS[type].cycle;
  const planned = Math.max(3, cycleNorm * Math.exp(rng.normal(0, 0.35)));

  // Expected close date and its pushes; the deal closes on the last expected date.
  const closeDateAt = [t0];
  const closeDates = [dayFloor(t0 + planned * DAY)];
  const pushes = Math.min(6, rng.poisson(seg.pushRate));
  for (let i = 0; i < pushes; i++) {
    const current = closeDates[closeDates.length - 1]!;
    const prevAt = closeDateAt[closeDateAt.length - 1]!;
    const at = Math.max(prevAt + 6 * HOUR, current - rng.uniform(0, 5) * DAY);
    closeDateAt.push(at);
    closeDates.push(dayFloor(Math.max(current, at) + rng.uniform(7, 35) * DAY));
  }
  const closeAt = closeDates[closeDates.length - 1]! + rng.uniform(9, 18) * HOUR;
  const cycleDays = (closeAt - t0) / DAY;

  // Activities: the last one `gap` days before the close.
  const gapDays = Math.min(cycleDays * 0.9, rng.chance(0.65) ? rng.exponential(4) : rng.exponential(25));
  const lastActivity = closeAt - gapDays * DAY;
  const activeDays = Math.max(1, (lastActivity - t0) / DAY);
  const rate = owner.intensity * rng.logNormal(3, 0.4);
  const nActivities = Math.max(1, rng.poisson((rate * activeDays) / 30));
  const activities = [lastActivity];
  for (let i = 1; i < nActivities; i++) activities.push(t0 + rng.next() * (lastActivity - t0));
  activities.sort((a, b) => a - b);

  const contacts = Math.min(MAX_CONTACTS, 1 + rng.poisson(seg.contacts));
  const contactAt = [t0];
  for (let i = 1; i < contacts; i++) contactAt.push(t0 + rng.uniform(0, 0.6) * cycleDays * DAY);
  contactAt.sort((a, b) => a - b);

  const drivers: DealDrivers = {
    industry: account.industry,
    region: account.region,
    size: account.size,
    source,
    type,
    amount,
    amountNorm,
    gapDays,
    pushes,
    cycleDays,
    cycleNorm,
    contacts,
    activityRate: (nActivities / activeDays) * 30,
  };
  const logit = winLogit(drivers);
  const won = rng.next() < sigmoid(logit + rng.normal(0, NOISE_SD));

  // Stage progress depends on the drivers and its own noise, never on the outcome.
  const k = Math.max(0, Math.min(world.openStages - 1, Math.floor(world.openStages * sigmoid(0.9 * logit + rng.normal(0, 0.8)))));
  const stageAt = [t0];
  for (let s = 1; s <= k; s++) {
    const frac = Math.min(0.97, (s + rng.uniform(-0.3, 0.3)) / (k + 1));
    stageAt.push(Math.max(stageAt[s - 1]! + HOUR, t0 + frac * (closeAt - t0)));
  }
  stageAt.push(closeAt);

  const amountAt = [t0];
  const amounts = [amount];
  if (rng.chance(0.3)) {
    amounts[0] = Math.max(500, Math.round(amount / rng.logNormal(1, 0.25) / 100) * 100);
    amountAt.push(t0 + rng.uniform(0.1, 0.8) * (closeAt - t0));
    amounts.push(amount);
  }
  const touches = Array.from({ length: rng.poisson(cycleDays / 40) }, () => t0 + rng.next() * (closeAt - t0)).sort((a, b) => a - b);
  const deletedAt = rng.chance(0.004) ? t0 + rng.uniform(0.05, 0.9) * (closeAt - t0) : null;
  const reason = won ? rng.pick(WIN_REASONS) : gapDays > 21 ? 'Went dark' : rng.pick(LOSS_REASONS.slice(0, 5));
  // Salesforce stores whole seconds; keep every event on a second boundary.
  for (const list of [stageAt, amountAt, closeDateAt, activities, touches, contactAt])
    for (let i = 0; i < list.length; i++) list[i] = sec(list[i]!);
  const ev = poolAppend(world.pool, [stageAt, amountAt, amounts, closeDateAt, closeDates, activities, touches, contactAt]);
  return {
    n,
    account: account.n,
    owner: owner.n,
    drivers,
    logit,
    won,
    createdAt: sec(t0),
    closeAt: sec(closeAt),
    deletedAt: deletedAt === null ? null : sec(deletedAt),
    reason,
    ev,
    nStage: stageAt.length,
    nAmount: amountAt.length,
    nClose: closeDateAt.length,
    nAct: activities.length,
    nTouch: touches.length,
    nContact: contactAt.length,
  };
}

/**
 * A rep's action that changes how a deal ends (issue 16; opt-in through the sandbox's
 * `repActions`): a deal planned to be lost is won instead. Only when the action comes before the
 * close: nothing shown before the close depends on the outcome, so changing it then is invisible
 * until the deal closes. True when the outcome changed.
 */
export function winInstead(plan: DealPlan, at: number): boolean {
  if (plan.won || at >= plan.closeAt) return false;
  plan.won = true;
  plan.reason = WIN_REASONS[plan.n % WIN_REASONS.length]!;
  return true;
}

/** A contact of a generated deal, derived from the deal and its position (no stored record). */
export function contactOf(world: World, deal: DealPlan, k: number) {
  const o = eventOffsets(deal);
  const seq = deal.n * MAX_CONTACTS + k;
  const first = FIRST_NAMES[(seq * 11 + 3) % FIRST_NAMES.length]!;
  const last = LAST_NAMES[(seq * 17 + 5) % LAST_NAMES.length]!;
  const account = world.accounts[deal.account]!;
  return {
    seq,
    firstName: first,
    lastName: last,
    email: `${first}.${last}.${seq}@${account.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}.example`.toLowerCase(),
    title: TITLES[seq % TITLES.length]!,
    createdAt: world.pool.data[o.contactAt + k]!,
    account,
  };
}
