import type { AppContext } from '../context.ts';
import { startMetricsListener } from './listener.ts';
import { collectProcessMetrics, registry } from './metrics.ts';
import { watchStore } from './queue-gauges.ts';

/**
 * Serves this process's metrics when METRICS_PORT is set (null otherwise). A process running the
 * worker also reports the database gauges (queues, model status per tenant count, leases).
 */
export async function startMetrics(ctx: AppContext, o: { worker: boolean }): Promise<{ url: string; close(): Promise<void> } | null> {
  const { METRICS_PORT: port, METRICS_HOST: host, METRICS_TOKEN: token } = ctx.env;
  if (port === undefined) return null;
  collectProcessMetrics();
  const unwatch = o.worker ? watchStore(ctx.store, ctx.now) : () => {};
  const listener = await startMetricsListener({ host, port, registry, ...(token ? { token } : {}) });
  ctx.logger.info('metrics listening', { url: listener.url, scrape: token ? 'bearer token required' : 'open to loopback callers' });
  return {
    url: listener.url,
    async close() {
      unwatch();
      await listener.close();
    },
  };
}
