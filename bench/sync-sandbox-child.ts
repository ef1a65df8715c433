// Runs the sandbox CRM in a process of its own for bench/sync.bench.ts, so the benchmark's peak
// memory is the sync's, not the simulated org's. Prints one JSON line with what a connection
// needs, then serves until killed.
import { startSandbox } from '../sandbox/index.ts';

const deals = Number(process.argv[2] ?? 100_000);
const sb = await startSandbox({ deals, seed: 42, salesforce: { riskFields: 'ready', dailyApiLimit: 5_000_000 }, taskCompletionDays: null });
const t = sb.salesforce.issueTokens();
process.stdout.write(
  `${JSON.stringify({
    url: sb.url,
    loginUrl: sb.salesforce.loginUrl,
    clientId: sb.salesforce.clientId,
    clientSecret: sb.salesforce.clientSecret,
    orgId: sb.salesforce.orgId,
    tokens: { accessToken: t.access_token, refreshToken: t.refresh_token, instanceUrl: t.instance_url },
    clock: sb.clock.now().toISOString(),
  })}\n`,
);
// The parent advances the sandbox clock over HTTP (/_sandbox/advance) and kills this process.
process.on('SIGTERM', () => void sb.close().then(() => process.exit(0)));
