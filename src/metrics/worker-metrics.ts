// Worker metrics of issue 18's 10,000-tenant simulation: what the idle poll costs and how often a
// dead worker's run is taken over. In the process registry (src/metrics/metrics.ts), unlabelled.
import { Counter, Histogram } from 'prom-client';
import { registry } from './metrics.ts';

export const pollDuration = new Histogram({
  name: 'dealrisk_worker_poll_duration_seconds',
  help: 'Wall time of one worker poll ("sync now" requests, runs of dead workers, due digests and quarters, deliveries, retention); it should not grow with the number of tenants.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const runsRecovered = new Counter({
  name: 'dealrisk_sync_runs_recovered_total',
  help: "Runs a worker took over from a dead one: the tenant's lease expired unreleased, and the poll ran it again (it resumes from stored state).",
  registers: [registry],
});
