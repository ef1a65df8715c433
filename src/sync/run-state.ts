import type { Connector } from '../../connectors/types.ts';
import type { AppContext } from '../context.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../store/repos/connections.ts';
import type { SyncConfig } from './config.ts';
import type { DriftReport } from './retrain-policy.ts';
import type { SyncScorer } from './scorer.ts';

/** Named points of a run, in order: kill tests stop a worker at each one. */
export type SyncPoint =
  | 'page-stored'
  | 'cursor-saved'
  | 'trained'
  | 'scored'
  | 'queued'
  | 'fields-called'
  | 'fields-recorded'
  | 'tasks-called'
  | 'tasks-recorded'
  | 'alerts-raised'
  | 'recorded';

export interface RunCounts {
  fetched: number;
  mapped: number;
  rejected: number;
  /** Records stored with text changed so the database could store it (run.cleaned says where). */
  cleaned: number;
  stored: number;
  unchanged: number;
  deleted: number;
  snapshots: number;
  scored: number;
  queued: number;
  written: number;
  writeFailed: number;
  tasks: number;
  taskFailed: number;
  alerts: number;
  alertsSuppressed: number;
  [k: string]: number;
}

export const emptyCounts = (): RunCounts => ({
  fetched: 0,
  mapped: 0,
  rejected: 0,
  cleaned: 0,
  stored: 0,
  unchanged: 0,
  deleted: 0,
  snapshots: 0,
  scored: 0,
  queued: 0,
  written: 0,
  writeFailed: 0,
  tasks: 0,
  taskFailed: 0,
  alerts: 0,
  alertsSuppressed: 0,
});

export interface RunError {
  step: string;
  code: string;
  message: string;
  recordId?: string;
}

/** A step that changed at least this many rows refreshes the planner's statistics. */
export const ANALYZE_AFTER = 1000;

/** Rejected and cleaned records kept on the run record (the counts have them all). */
export const MAX_REJECTED_KEPT = 200;

/** The step a record was turned away at. */
export type RecordStep = 'map' | 'store' | 'score' | 'write-back' | 'tasks';

/**
 * One record that did not go through, by name: the step, its CRM id (a file's line for file
 * sources), the field when one is at fault, and why. The rest of the run goes on without it.
 */
export interface RecordRejection {
  step: RecordStep;
  recordId: string;
  /** Line in the file, for file sources. */
  row?: number;
  field: string | null;
  reason: string;
}

/** One field of a stored record whose text was changed so the database could store it. */
export interface CleanedField {
  recordId: string;
  row?: number;
  /** The field as the CRM names it (a path in the raw record). */
  field: string;
  reason: string;
}

/** Everything one run of one connection reads and accumulates; each step gets this. */
export interface RunState {
  ctx: AppContext;
  log: Logger;
  runId: number;
  tenantId: string;
  connection: Connection;
  connector: Connector;
  scorer: SyncScorer;
  config: SyncConfig;
  /** The run's "as of": scores and snapshots carry it. */
  asOf: Date;
  trigger: string;
  /**
   * Real time: the deals a webhook or a change poll named; every step keeps to them (read by id,
   * no training, only their scores, writes, alerts and tasks). Null: the regular sync.
   */
  only: readonly string[] | null;
  /** Real time: how many deals were named, and how they were served (by id, or the regular sync and why). */
  realtime?: { deals: number; how: string };
  signal: AbortSignal;
  probe: (point: SyncPoint) => void | Promise<void>;
  counts: RunCounts;
  rejected: RecordRejection[];
  cleaned: CleanedField[];
  errors: RunError[];
  timings: Record<string, number>;
  model: {
    id: number | null;
    version: number | null;
    status: string | null;
    retrained: boolean;
    reason: string | null;
    drift?: DriftReport | null;
  };
  /** Milliseconds spent waiting on the CRM (the connector's calls). */
  crmWaitMs: () => number;
  /** True when write-back stopped early (CRM unavailable): the run ends partial. */
  degraded: boolean;
}

export function checkAborted(run: RunState): void {
  if (run.signal.aborted) throw run.signal.reason instanceof Error ? run.signal.reason : new Error('run aborted');
}

/**
 * Keeps a rejected record on the run. Rejections before the CRM write (map, store, score) count
 * in `counts.rejected`; refused writes and tasks are already counted as writeFailed/taskFailed.
 */
export function rejectRecord(run: RunState, r: RecordRejection): void {
  if (r.step === 'map' || r.step === 'store' || r.step === 'score') run.counts.rejected++;
  if (run.rejected.length >= MAX_REJECTED_KEPT) return;
  run.rejected.push(r);
  run.log.warn('record rejected', { step: r.step, recordId: r.recordId, field: r.field, reason: r.reason });
}

/** A run that turned any record away, stored any with cleaned text, or stopped writing early is partial. */
export function finishedStatus(run: RunState): 'succeeded' | 'partial' {
  const c = run.counts;
  return run.degraded || c.rejected + c.cleaned + c.writeFailed + c.taskFailed > 0 ? 'partial' : 'succeeded';
}
