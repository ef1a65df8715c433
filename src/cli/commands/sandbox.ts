import { startSandbox } from '../../../sandbox/index.ts';
import { AppError } from '../../core/errors.ts';
import { type CliDeps, report } from '../deps.ts';

export interface SandboxCliOptions {
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

/** `dealrisk sandbox` (declared in ../program.ts): runs until Ctrl-C or SIGTERM. */
export async function runSandbox(deps: CliDeps, o: SandboxCliOptions): Promise<void> {
  const start = o.start ? new Date(o.start) : new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  if (Number.isNaN(start.getTime())) throw new AppError('input_invalid', `--start must be an ISO date, got "${o.start}"`);
  const began = performance.now();
  const sb = await startSandbox({
    deals: o.deals,
    seed: o.seed,
    port: o.port,
    host: o.host,
    pace: o.pace,
    clockStart: start,
    rotateRefreshTokens: Boolean(o.rotate),
    salesforce: { riskFields: o.riskFields },
    hubspot: { riskProperties: o.riskFields === 'ready' ? 'ready' : 'absent' },
  });
  const ready = (performance.now() - began) / 1000;
  const sfCeiling = sb.model.ceilingAuc('salesforce');
  const hsCeiling = sb.model.ceilingAuc('hubspot');
  const details = {
    url: sb.url,
    salesforce: {
      loginUrl: sb.salesforce.loginUrl,
      instanceUrl: sb.salesforce.instanceUrl,
      clientId: sb.salesforce.clientId,
      clientSecret: sb.salesforce.clientSecret,
      apiVersion: sb.salesforce.version,
    },
    hubspot: {
      apiBase: sb.hubspot.apiBase,
      installUrl: `${sb.hubspot.apiBase}/oauth/authorize`,
      clientId: sb.hubspot.clientId,
      clientSecret: sb.hubspot.clientSecret,
      portalId: sb.hubspot.portalId,
      privateAppToken: sb.hubspot.privateAppToken,
    },
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
}
