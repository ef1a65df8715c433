import { registry } from '../../src/metrics/metrics.ts';

/**
 * The value of one series in this process's metrics registry (what a scrape would read): the
 * sum over series whose labels include `labels`, 0 when there are none yet. Histograms read as
 * `<name>_count`, `<name>_sum` and `<name>_bucket`.
 */
export async function metricValue(name: string, labels: Record<string, string | number> = {}): Promise<number> {
  let total = 0;
  for (const m of await registry.getMetricsAsJSON()) {
    for (const v of m.values as Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>) {
      if ((v.metricName ?? m.name) !== name) continue;
      if (Object.entries(labels).every(([k, x]) => String(v.labels[k]) === String(x))) total += v.value;
    }
  }
  return total;
}
