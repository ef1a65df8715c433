import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { startSandbox } from '../../sandbox/index.ts';
import { report, type CliDeps } from '../deps.ts';

const int = (name: string, min: number) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number >= ${min}, got "${v}"`);
  return n;
};
const num = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0, got "${v}"`);
  return n;
};

interface SandboxCliOptions {
  deals: number;
  seed: number;
  port: number;
  host: string;
  pace: number;
  start?: string;
  riskFields: 'absent' | 'created' | 'ready';
  rotate?: boolean;
  json?: boolean;
}

/** Waits for Ctrl-C / SIGTERM. */
const untilStopped = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

export function register(program: Command, deps: CliDeps): void {
  program
    .command('sandbox')
    .description('run the sandbox CRM alone: a local Salesforce and HubSpot with generated deals')
    .option('--deals <n>', 'deals per CRM', int('--deals', 1), 2000)
    .option('--seed <n>', 'generator seed (same seed, same deals)', int('--seed', 0), 42)
    .option('--port <n>', 'port (0 picks a free one)', int('--port', 0), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--pace <x>', 'sandbox ms per real ms (0: time moves only on POST /_sandbox/advance)', num('--pace'), 0)
    .option('--start <iso>', 'sandbox clock at start (default: now, to the hour)')
    .option('--risk-fields <mode>', 'Salesforce risk fields: absent | created (no FLS) | ready', 'absent')
    .option('--rotate', 'rotate Salesforce refresh tokens on every refresh')
    .option('--json', 'print the connection details as JSON')
    .action(async (o: SandboxCliOptions) => {
      if (!['absent', 'created', 'ready'].includes(o.riskFields)) throw new InvalidArgumentError(`--risk-fields must be absent, created or ready, got "${o.riskFields}"`);
      const start = o.start ? new Date(o.start) : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
      if (Number.isNaN(start.getTime())) throw new InvalidArgumentError(`--start must be an ISO date, got "${o.start}"`);
      const began = performance.now();
      const sb = await startSandbox({
        deals: o.deals, seed: o.seed, port: o.port, host: o.host, pace: o.pace, clockStart: start,
        rotateRefreshTokens: Boolean(o.rotate), salesforce: { riskFields: o.riskFields }, hubspot: { riskProperties: o.riskFields === 'ready' ? 'ready' : 'absent' },
      });
      const ready = (performance.now() - began) / 1000;
      const sfCeiling = sb.model.ceilingAuc('salesforce');
      const hsCeiling = sb.model.ceilingAuc('hubspot');
      const details = {
        url: sb.url,
        salesforce: { loginUrl: sb.salesforce.loginUrl, instanceUrl: sb.salesforce.instanceUrl, clientId: sb.salesforce.clientId, clientSecret: sb.salesforce.clientSecret, apiVersion: sb.salesforce.version },
        hubspot: { apiBase: sb.hubspot.apiBase, installUrl: `${sb.hubspot.apiBase}/oauth/authorize`, clientId: sb.hubspot.clientId, clientSecret: sb.hubspot.clientSecret, portalId: sb.hubspot.portalId, privateAppToken: sb.hubspot.privateAppToken },
        clock: sb.clock.now().toISOString(),
        deals: o.deals,
        seed: o.seed,
        ceilingAuc: { salesforce: sfCeiling.auc, hubspot: hsCeiling.auc },
        startedInSeconds: ready,
      };
      report(deps, o.json, details, () =>
        [
          `Sandbox CRM at ${sb.url} (${o.deals} deals per CRM, seed ${o.seed}, ready in ${ready.toFixed(1)} s; sandbox time ${details.clock})`,
          `Salesforce  login/instance URL ${sb.salesforce.loginUrl}  client id ${sb.salesforce.clientId}  secret ${sb.salesforce.clientSecret}`,
          `HubSpot     API base ${sb.hubspot.apiBase}  client id ${sb.hubspot.clientId}  secret ${sb.hubspot.clientSecret}  portal ${sb.hubspot.portalId}`,
          `Generating model's ceiling ROC-AUC (lost vs won, closed deals): Salesforce ${sfCeiling.auc?.toFixed(3)} (${sfCeiling.closed} closed), HubSpot ${hsCeiling.auc?.toFixed(3)} (${hsCeiling.closed} closed)`,
          `Advance time: curl -X POST ${sb.url}/_sandbox/advance -H 'content-type: application/json' -d '{"hours":1}'`,
          'Ctrl-C stops it.',
        ].join('\n'),
      );
      await untilStopped();
      await sb.close();
    });
}
