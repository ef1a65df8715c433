import type { StageMap } from './pipelines.ts';

/** One entry of HubSpot's `propertiesWithHistory` (timestamps arrive as Date from the SDK, string from JSON). */
export interface HistoryEntry {
  value: string | null;
  timestamp: Date | string;
}

export interface DerivedHistory {
  stageHistory: Array<{ stage: string; status: string; order: number | null; enteredAt: string }>;
  stageEnteredAt: string | null;
  closeDatePushes: number;
}

/** HubSpot sends datetimes as ISO strings in some places and epoch-millisecond strings in others. */
const parseWhen = (v: string): number => (/^\d{11,14}$/.test(v) ? Number(v) : Date.parse(v));
const time = (t: Date | string): number => (t instanceof Date ? t.getTime() : parseWhen(t));

function ascending(entries: readonly HistoryEntry[] | undefined): HistoryEntry[] {
  return [...(entries ?? [])].filter((e) => !Number.isNaN(time(e.timestamp))).sort((a, b) => time(a.timestamp) - time(b.timestamp));
}

/**
 * Stage entries (oldest first, repeats of the same stage collapsed), when the current stage
 * was entered, and how often the close date moved later: the HubSpot analogue of Salesforce's
 * OpportunityHistory. Pure.
 */
export function deriveHistory(h: { dealstage?: HistoryEntry[]; closedate?: HistoryEntry[] }, stages: StageMap): DerivedHistory {
  const stageHistory: DerivedHistory['stageHistory'] = [];
  for (const e of ascending(h.dealstage)) {
    if (!e.value) continue;
    if (stageHistory.length && stageHistory[stageHistory.length - 1]!.stage === (stages.get(e.value)?.label ?? e.value)) continue;
    const s = stages.get(e.value);
    stageHistory.push({
      stage: s?.label ?? e.value,
      status: s?.status ?? 'open',
      order: s ? s.order : null,
      enteredAt: new Date(time(e.timestamp)).toISOString(),
    });
  }
  let pushes = 0;
  let previous: number | null = null;
  for (const e of ascending(h.closedate)) {
    const d = e.value ? parseWhen(e.value) : NaN;
    if (Number.isNaN(d)) continue;
    if (previous !== null && d > previous) pushes++;
    previous = d;
  }
  return {
    stageHistory,
    stageEnteredAt: stageHistory.length ? stageHistory[stageHistory.length - 1]!.enteredAt : null,
    closeDatePushes: pushes,
  };
}
