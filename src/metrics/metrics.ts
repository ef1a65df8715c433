// Prometheus metrics of this process (prom-client). One registry per process, as a scrape target
// is a process: the web app, the worker and the sync engine add to it where things happen, and
// src/metrics/listener.ts serves it. Labels are bounded sets (CRM, status, route template), never
// a tenant id: per-tenant detail stays in the database and on the Sync page.
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

let processMetrics = false;
/** CPU, memory, event-loop lag and GC of this process (prom-client's defaults), once. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}

export const syncRuns = new Counter({
  name: 'dealrisk_sync_runs_total',
  help: 'Sync runs finished, by CRM and final status (succeeded, partial, failed, paused).',
  labelNames: ['crm', 'status'] as const,
  registers: [registry],
});

export const syncRunDuration = new Histogram({
  name: 'dealrisk_sync_run_duration_seconds',
  help: 'Wall time of a sync run, by CRM and final status.',
  labelNames: ['crm', 'status'] as const,
  buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600],
  registers: [registry],
});

export const syncCrmWait = new Counter({
  name: 'dealrisk_sync_crm_wait_seconds_total',
  help: "Time sync runs spent waiting on the CRM (its network, pacing and answers); the rest of a run's duration is our own.",
  labelNames: ['crm'] as const,
  registers: [registry],
});

export const syncRecords = new Counter({
  name: 'dealrisk_sync_records_total',
  help: 'Records through sync runs, by CRM and outcome: fetched, rejected, stored, scored, written, write_failed, tasks, task_failed, alerts.',
  labelNames: ['crm', 'outcome'] as const,
  registers: [registry],
});

export const crmApiCalls = new Counter({
  name: 'dealrisk_crm_api_calls_total',
  help: 'API calls made to the CRM, by CRM and by what made them: sync runs (kind sync_run, real-time runs included) or the real-time change poll between runs (kind change_poll).',
  labelNames: ['crm', 'kind'] as const,
  registers: [registry],
});

export const crmRateLimited = new Counter({
  name: 'dealrisk_crm_rate_limited_total',
  help: 'CRM answers saying "rate limited" that the connector waited out (HubSpot 429s; jsforce retries Salesforce reads itself, unseen here).',
  labelNames: ['crm'] as const,
  registers: [registry],
});

export const syncPauses = new Counter({
  name: 'dealrisk_sync_pauses_total',
  help: "Sync runs that paused their connection until the CRM's window or daily quota resets, by CRM and error code.",
  labelNames: ['crm', 'code'] as const,
  registers: [registry],
});

export const slotLateness = new Histogram({
  name: 'dealrisk_sync_slot_lateness_seconds',
  help: "How late a tenant's hourly slot run started after its due time (slot + the tenant's jitter); catch-up runs count from the slot.",
  labelNames: ['trigger'] as const,
  buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600],
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'dealrisk_http_request_duration_seconds',
  help: 'Web requests by method, route template (never the raw URL) and status class.',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** The outcomes of a run's counts that the records counter exposes, and their count names. */
const OUTCOMES: Record<string, string> = {
  fetched: 'fetched',
  rejected: 'rejected',
  stored: 'stored',
  scored: 'scored',
  written: 'written',
  write_failed: 'writeFailed',
  tasks: 'tasks',
  task_failed: 'taskFailed',
  alerts: 'alerts',
};

/** What a finished sync run adds to the metrics. */
export interface FinishedRun {
  /** The connection's CRM: bounded by the connectors we ship. */
  crm: string;
  status: string;
  durationMs: number;
  crmWaitMs: number;
  counts: Record<string, number>;
  apiCalls: number;
  rateLimited: number;
  /** The error code when the run paused its connection. */
  pausedBy?: string;
}

/** The API calls one real-time change poll made (it runs outside any sync run). */
export function observeChangePoll(crm: string, calls: number): void {
  if (calls > 0) crmApiCalls.inc({ crm, kind: 'change_poll' }, calls);
}

export function observeSyncRun(r: FinishedRun): void {
  syncRuns.inc({ crm: r.crm, status: r.status });
  syncRunDuration.observe({ crm: r.crm, status: r.status }, r.durationMs / 1000);
  syncCrmWait.inc({ crm: r.crm }, Math.max(0, r.crmWaitMs) / 1000);
  for (const [outcome, key] of Object.entries(OUTCOMES)) {
    const n = r.counts[key] ?? 0;
    if (n > 0) syncRecords.inc({ crm: r.crm, outcome }, n);
  }
  if (r.apiCalls > 0) crmApiCalls.inc({ crm: r.crm, kind: 'sync_run' }, r.apiCalls);
  if (r.rateLimited > 0) crmRateLimited.inc({ crm: r.crm }, r.rateLimited);
  if (r.pausedBy) syncPauses.inc({ crm: r.crm, code: r.pausedBy });
}
