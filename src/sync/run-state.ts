import type { Connector } from '../../connectors/types.ts';
import type { AppContext } from '../app/context.ts';
import type { RecordError } from '../core/mapping/to-deal.ts';
import type { Logger } from '../log.ts';
import type { Connection } from '../store/repos/connections.ts';
import type { SyncConfig } from './config.ts';
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

/** Rejected records kept on the run record (the count has them all). */
export const MAX_REJECTED_KEPT = 200;

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
  signal: AbortSignal;
  probe: (point: SyncPoint) => void | Promise<void>;
  counts: RunCounts;
  rejected: RecordError[];
  errors: RunError[];
  timings: Record<string, number>;
  model: { id: number | null; version: number | null; status: string | null; retrained: boolean; reason: string | null; drift?: Record<string, unknown> | null };
  /** Milliseconds spent waiting on the CRM (the connector's calls). */
  crmWaitMs: () => number;
  /** True when write-back stopped early (CRM unavailable): the run ends partial. */
  degraded: boolean;
}

export function checkAborted(run: RunState): void {
  if (run.signal.aborted) throw run.signal.reason instanceof Error ? run.signal.reason : new Error('run aborted');
}
