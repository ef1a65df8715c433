/**
 * Pure derivations the connector adds under `data._derived` so the mapping can reach them:
 * stage order and status from OpportunityStage, stage history and close-date pushes from
 * OpportunityHistory / OpportunityFieldHistory, task and contact-role counts. A value the org
 * did not let us read stays null (unknown), never 0.
 */

export interface StageInfo {
  label: string;
  status: 'open' | 'won' | 'lost';
  order: number;
}

/** Stage name (API name or label) → order and status. */
export type StageMap = Map<string, StageInfo>;

export interface StageRow {
  ApiName?: string | null;
  MasterLabel: string;
  IsClosed: boolean;
  IsWon: boolean;
  SortOrder: number | null;
  IsActive?: boolean;
}

export function buildStageMap(rows: readonly StageRow[]): StageMap {
  const sorted = [...rows].sort((a, b) => (a.SortOrder ?? Infinity) - (b.SortOrder ?? Infinity));
  const map: StageMap = new Map();
  sorted.forEach((r, i) => {
    const info: StageInfo = { label: r.MasterLabel, status: r.IsClosed ? (r.IsWon ? 'won' : 'lost') : 'open', order: i };
    map.set(r.MasterLabel, info);
    if (r.ApiName) map.set(r.ApiName, info);
  });
  return map;
}

export interface HistoryRow {
  OpportunityId: string;
  StageName: string | null;
  CloseDate: string | null;
  CreatedDate: string;
}

export interface FieldHistoryRow {
  OpportunityId: string;
  Field: string;
  OldValue: unknown;
  NewValue: unknown;
  CreatedDate: string;
}

export interface StageEntry {
  stage: string;
  status: 'open' | 'won' | 'lost';
  order: number | null;
  enteredAt: string;
}

/** Everything the connector knows about one opportunity beyond its own fields. */
export interface HistoryFacts {
  /** Null when OpportunityHistory could not be read for this org. */
  history: HistoryRow[] | null;
  /** Null when field history tracking is off or hidden. */
  fieldHistory: FieldHistoryRow[] | null;
  openTaskCount: number | null;
  contactRoleCount: number | null;
}

export interface Derived {
  stageOrder: number | null;
  /** Empty when unknown: the canonical deal's stageHistory is a list, never null. */
  stageHistory: StageEntry[];
  stageEnteredAt: string | null;
  closeDatePushes: number | null;
  closedAt: string | null;
  openTaskCount: number | null;
  contactRoleCount: number | null;
  accountSizeBand: string | null;
}

const iso = (sfDateTime: string): string => new Date(sfDateTime.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')).toISOString();

function stageEntry(stage: string, at: string, stages: StageMap | null): StageEntry {
  const info = stages?.get(stage);
  return { stage, status: info?.status ?? 'open', order: info?.order ?? null, enteredAt: iso(at) };
}

/** Stage changes in time order, one entry per change (repeated rows for amount edits collapse). */
export function stageHistoryOf(
  rows: readonly HistoryRow[],
  fieldRows: readonly FieldHistoryRow[] | null,
  stages: StageMap | null,
): StageEntry[] {
  const out: StageEntry[] = [];
  for (const r of rows) {
    if (!r.StageName) continue;
    if (out.length && out[out.length - 1]!.stage === r.StageName) continue;
    out.push(stageEntry(r.StageName, r.CreatedDate, stages));
  }
  if (out.length || !fieldRows) return out;
  // Without OpportunityHistory rows, tracked StageName changes still tell the story.
  for (const f of fieldRows) {
    if (f.Field !== 'StageName' || typeof f.NewValue !== 'string') continue;
    if (!out.length && typeof f.OldValue === 'string') out.push(stageEntry(f.OldValue, f.CreatedDate, stages));
    out.push(stageEntry(f.NewValue, f.CreatedDate, stages));
  }
  return out;
}

/** How often the close date moved later. Field history (exact edits) wins when tracked. */
export function closeDatePushesOf(rows: readonly HistoryRow[], fieldRows: readonly FieldHistoryRow[] | null): number {
  const tracked = (fieldRows ?? []).filter((f) => f.Field === 'CloseDate');
  if (tracked.length) {
    return tracked.filter((f) => typeof f.OldValue === 'string' && typeof f.NewValue === 'string' && f.NewValue > f.OldValue).length;
  }
  let pushes = 0;
  let prev: string | null = null;
  for (const r of rows) {
    if (!r.CloseDate) continue;
    if (prev && r.CloseDate > prev) pushes++;
    prev = r.CloseDate;
  }
  return pushes;
}

export function accountSizeBand(employees: unknown): string | null {
  const n = typeof employees === 'number' ? employees : typeof employees === 'string' && employees.trim() ? Number(employees) : NaN;
  if (!Number.isFinite(n) || n < 0) return null;
  if (n <= 50) return '1-50';
  if (n <= 200) return '51-200';
  if (n <= 1000) return '201-1000';
  if (n <= 5000) return '1001-5000';
  return '5000+';
}

export interface OpportunityCore {
  StageName?: unknown;
  IsClosed?: unknown;
  IsWon?: unknown;
  CloseDate?: unknown;
  employees?: unknown;
}

/**
 * A CloseDate as midnight UTC. One that is not a date is passed on as it came: the mapping then
 * refuses that one deal naming closedAt, where throwing here would fail the whole page.
 */
function closeDateOf(v: unknown): string | null {
  if (typeof v !== 'string' || !v) return null;
  const t = Date.parse(`${v.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(t) ? v : new Date(t).toISOString();
}

export function derive(opp: OpportunityCore, facts: HistoryFacts, stages: StageMap | null): Derived {
  const stageName = typeof opp.StageName === 'string' ? opp.StageName : null;
  const closed = opp.IsClosed === true || opp.IsClosed === 'true';
  const won = opp.IsWon === true || opp.IsWon === 'true';
  const historyKnown = facts.history !== null && (facts.history.length > 0 || (facts.fieldHistory?.length ?? 0) > 0);
  const stageHistory = historyKnown ? stageHistoryOf(facts.history ?? [], facts.fieldHistory, stages) : [];
  const last = stageHistory[stageHistory.length - 1];
  if (last && last.stage === stageName && !stages?.has(stageName)) {
    // Without OpportunityStage the current stage's status still comes from the record's flags.
    last.status = closed ? (won ? 'won' : 'lost') : 'open';
  }
  const current = stageName ? [...stageHistory].reverse().find((e) => e.stage === stageName) : undefined;
  return {
    stageOrder: stageName ? (stages?.get(stageName)?.order ?? null) : null,
    stageHistory,
    stageEnteredAt: current?.enteredAt ?? null,
    closeDatePushes: historyKnown ? closeDatePushesOf(facts.history ?? [], facts.fieldHistory) : null,
    closedAt: closed ? (current && current.status !== 'open' ? current.enteredAt : closeDateOf(opp.CloseDate)) : null,
    openTaskCount: facts.openTaskCount,
    contactRoleCount: facts.contactRoleCount,
    accountSizeBand: accountSizeBand(opp.employees),
  };
}
