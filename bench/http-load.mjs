// Load generator for bench/http.bench.ts, in its own process so it does not share the server's
// event loop: runs autocannon once and prints throughput and latency percentiles as JSON.
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const times = [];
const statuses = {};
const instance = autocannon({
  url: cfg.url,
  method: cfg.method,
  headers: cfg.headers,
  ...(cfg.body ? { body: cfg.body } : {}),
  connections: cfg.connections,
  duration: cfg.duration,
  pipelining: 1,
  ...(cfg.rate ? { overallRate: cfg.rate } : {}),
});
instance.on('response', (_client, status, _bytes, ms) => {
  times.push(ms);
  statuses[status] = (statuses[status] ?? 0) + 1;
});
instance.on('done', (r) => {
  times.sort((a, b) => a - b);
  const q = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? null;
  process.stdout.write(
    JSON.stringify({
      requests: times.length,
      rps: r.requests.average,
      p50: q(0.5),
      p95: q(0.95),
      p99: q(0.99),
      max: times[times.length - 1] ?? null,
      errors: r.errors,
      timeouts: r.timeouts,
      statuses,
    }),
  );
});
