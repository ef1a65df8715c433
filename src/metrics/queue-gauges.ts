// Gauges read from the database when Prometheus scrapes: queue depth and age, model status per
// tenant count, leases held. One set of aggregate queries per scrape, shared by every gauge.
import { Counter, Gauge } from 'prom-client';
import type { OpsStats, QueueDepth } from '../store/repos/ops-stats.ts';
import { registry } from './metrics.ts';

type Source = { stats(): Promise<OpsStats> };
let source: Source | null = null;
const collectErrors = new Counter({
  name: 'dealrisk_metrics_collect_errors_total',
  help: 'Scrapes whose database gauges could not be read (the database did not answer).',
  registers: [registry],
});

let inFlight: Promise<OpsStats | null> | null = null;

/**
 * One round of queries per scrape: prom-client starts every gauge's collect() in the same tick,
 * so they all share the round in flight; the next scrape starts a new one.
 */
function snapshot(): Promise<OpsStats | null> {
  if (inFlight) return inFlight;
  const s = source;
  // A database that does not answer leaves these gauges empty (and counts it); the rest still go out.
  const failed = (): null => {
    collectErrors.inc();
    return null;
  };
  inFlight = (s ? s.stats().catch(failed) : Promise.resolve(null)).finally(() => {
    inFlight = null;
  });
  return inFlight;
}

function queueGauges(name: string, what: string, labels: [string, string], pick: (s: OpsStats) => QueueDepth[]): void {
  new Gauge({
    name: `dealrisk_${name}_depth`,
    help: `${what} waiting, by ${labels.join(', ')} and status (pending, failed = waiting to be retried, dead = given up).`,
    labelNames: [...labels, 'status'],
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const q of s ? pick(s) : []) this.set({ [labels[0]]: q.key, [labels[1]]: q.kind, status: q.status }, q.count);
    },
  });
  new Gauge({
    name: `dealrisk_${name}_oldest_age_seconds`,
    help: `Age of the oldest ${what.toLowerCase()} still to send, by ${labels.join(', ')} (pending and failed; dead ones are left out).`,
    labelNames: labels,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      const oldest = new Map<string, { labels: Record<string, string>; age: number }>();
      for (const q of s ? pick(s) : []) {
        if (q.status === 'dead') continue;
        const k = `${q.key}\u0000${q.kind}`;
        const prev = oldest.get(k);
        if (!prev || q.oldestAgeSeconds > prev.age)
          oldest.set(k, { labels: { [labels[0]]: q.key, [labels[1]]: q.kind }, age: q.oldestAgeSeconds });
      }
      for (const o of oldest.values()) this.set(o.labels, o.age);
    },
  });
}

queueGauges('outbox', 'CRM write-backs (risk fields and tasks)', ['crm', 'kind'], (s) => s.outbox);
queueGauges('delivery_queue', 'Alert and digest deliveries', ['channel', 'kind'], (s) => s.deliveries);
queueGauges('rescore_queue', 'Deals a CRM webhook or the Salesforce change poll reported changed', ['crm', 'kind'], (s) => s.rescore);

new Gauge({
  name: 'dealrisk_tenants_by_model_status',
  help: "Tenants by their active model's status (ok, no_signal, ...); none = no active model yet.",
  labelNames: ['status'],
  registers: [registry],
  async collect() {
    const s = await snapshot();
    this.reset();
    for (const m of s?.modelStatus ?? []) this.set({ status: m.status }, m.tenants);
  },
});

new Gauge({
  name: 'dealrisk_sync_leases_held',
  help: 'Tenants a worker holds the sync lease of right now (runs in progress, across all workers).',
  registers: [registry],
  async collect() {
    const s = await snapshot();
    this.reset();
    if (s) this.set(s.leasesHeld);
  },
});

/**
 * Reads the database gauges from this store at each scrape (the worker process calls it: every
 * worker reports the same database-wide figures, so take max(), not sum(), across workers).
 * Returns a function that stops it.
 */
export function watchStore(store: { opsStats: { collect(now: Date): Promise<OpsStats> } }, now: () => Date): () => void {
  const mine: Source = { stats: () => store.opsStats.collect(now()) };
  source = mine;
  return () => {
    if (source === mine) source = null;
  };
}
