import { Command, InvalidArgumentError, Option } from 'commander';
import type { DealsListOptions, DealsShowOptions } from './commands/deals.ts';
import type { EvaluateOptions } from './commands/evaluate.ts';
import type { ImportOptions } from './commands/import.ts';
import type { InsightsOptions } from './commands/insights.ts';
import type { MetricsOptions } from './commands/metrics.ts';
import type { MigrateOptions } from './commands/migrate.ts';
import type { SandboxCliOptions } from './commands/sandbox.ts';
import type { ScoreOptions } from './commands/score.ts';
import type { SyncOptions } from './commands/sync.ts';
import type { TrainOptions } from './commands/train.ts';
import type { CliDeps } from './deps.ts';

// Every command and option is declared here, and nothing heavy is imported: `dealrisk --help`
// and a command's own start-up never pay for the other commands' modules and SDKs (the store,
// jsforce, the sandbox, the scoring engine). A command's module is imported when it runs.

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
const tenant = () => new Option('--tenant <id>', 'tenant').default('local');

export const DEAL_SORTS = ['risk', 'amount', 'close', 'name', 'id'] as const;

/** Builds the `dealrisk` program: every command with its options; actions load on first use. */
export function buildProgram(deps: CliDeps): Command {
  const program = new Command('dealrisk')
    .description('Deal-loss risk scoring for Salesforce and HubSpot')
    .showHelpAfterError()
    .exitOverride();

  const deals = program.command('deals').description('inspect deals');
  deals
    .command('list')
    .description("list a tenant's deals, riskiest open deals first, with the top driver and first action")
    .addOption(new Option('--stage <status>', 'only deals in this status').choices(['open', 'won', 'lost']))
    .addOption(
      new Option('--sort <key>', 'risk (open deals first), amount, close (close date, or expected close of an open deal), name, or id')
        .choices(DEAL_SORTS)
        .default('risk'),
    )
    .addOption(new Option('--order <dir>', 'asc | desc (default: desc for risk and amount, asc otherwise)').choices(['asc', 'desc']))
    .option('--limit <n>', 'at most this many deals', int('--limit', 1), 50)
    .addOption(tenant())
    .option('--json', 'print as JSON (every field in full)')
    .action(async (o: DealsListOptions) => (await import('./commands/deals.ts')).runDealsList(deps, o));
  deals
    .command('show')
    .description('one deal in full: score, drivers with their sentences, actions, similar won deals, score history')
    .argument('<id>', 'the deal id, or <source>:<id> when two sources share it (e.g. csv:T10)')
    .addOption(tenant())
    .option('--history <n>', 'score history entries shown', int('--history', 1), 10)
    .option('--json', 'print as JSON')
    .action(async (id: string, o: DealsShowOptions) => (await import('./commands/deals.ts')).runDealsShow(deps, id, o));

  program
    .command('evaluate')
    .description("backtest the tenant's model: latest 20% by close date, or train on the tenant and test on a file")
    .addOption(tenant())
    .option('--test-file <csv>', 'CSV of closed deals to test on (needs --mapping)')
    .option('--mapping <file>', 'mapping file for --test-file')
    .option('--predictions <csv>', 'also write each test deal to a CSV file: id, actual (won/lost), lossProbability, riskScore')
    .option('--json', 'print one JSON object')
    .action(async (o: EvaluateOptions) => (await import('./commands/evaluate.ts')).runEvaluate(deps, o));

  program
    .command('import')
    .description('import deals from a CSV file through a mapping file')
    .requiredOption('--mapping <file>', 'mapping file (YAML), e.g. mappings/ibm.csv.yaml')
    .requiredOption('--file <csv>', 'CSV file to import')
    .option('--tenant <id>', 'tenant to import into', 'local')
    .option('--json', 'print the result as JSON')
    .action(async (o: ImportOptions) => (await import('./commands/import.ts')).runImport(deps, o));

  program
    .command('insights')
    .description('why win rate moves: trend with change point, stages, cycles, owners, and ranked findings')
    .addOption(tenant())
    .option('--json', 'print as JSON')
    .action(async (o: InsightsOptions) => (await import('./commands/insights.ts')).runInsights(deps, o));

  program
    .command('metrics')
    .description('pipeline metrics: raw pipeline, RAPV, optimism gap, expected value, REM, win rates, revenue at risk')
    .addOption(tenant())
    .option('--owner <id>', 'only this owner (id or name)')
    .option(
      '--segment <field=value>',
      'only one segment, e.g. account.industry=EdTech (repeatable)',
      (v: string, acc: string[]) => acc.concat(v),
      [] as string[],
    )
    .option('--json', 'print as JSON')
    .action(async (o: MetricsOptions) => (await import('./commands/metrics.ts')).runMetrics(deps, o));

  program
    .command('migrate')
    .description('apply pending database migrations (the Procfile release step)')
    .option('--json', 'print the result as JSON')
    .action(async (o: MigrateOptions) => (await import('./commands/migrate.ts')).runMigrate(deps, o));

  program
    .command('sandbox')
    .description('run the sandbox CRM alone: a local Salesforce and HubSpot with generated deals')
    .option('--deals <n>', 'deals per CRM', int('--deals', 1), 2000)
    .option('--seed <n>', 'generator seed (same seed, same deals)', int('--seed', 0), 42)
    .option('--port <n>', 'port (0 picks a free one)', int('--port', 0), 0)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--pace <x>', 'sandbox ms per real ms (0: time moves only on POST /_sandbox/advance)', num('--pace'), 0)
    .option('--start <iso>', 'sandbox clock at start (default: now, to the hour)')
    .addOption(
      new Option('--risk-fields <mode>', 'Salesforce risk fields: absent | created (no FLS) | ready')
        .choices(['absent', 'created', 'ready'])
        .default('absent'),
    )
    .option('--rotate', 'rotate Salesforce refresh tokens on every refresh')
    .option('--json', 'print the connection details as JSON')
    .action(async (o: SandboxCliOptions) => (await import('./commands/sandbox.ts')).runSandbox(deps, o));

  program
    .command('score')
    .description("score a tenant's open deals with its active model and store the scores")
    .addOption(tenant())
    .option('--out <file>', 'also write every score in full to a .csv or .json file')
    .option('--limit <n>', 'riskiest deals shown (terminal and --json)', int('--limit', 0), 20)
    .option('--json', 'print the summary and the riskiest deals as JSON, in full')
    .action(async (o: ScoreOptions) => (await import('./commands/score.ts')).runScore(deps, o));

  program
    .command('sync')
    .description('run the sync now: fetch what changed, score, write back, alert (every tenant, or one)')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'print the runs as JSON')
    .action(async (o: SyncOptions) => (await import('./commands/sync.ts')).runSync(deps, o));

  program
    .command('train')
    .description("train and backtest a tenant's risk model on its closed deals; activate it unless it is worse than the active one")
    .addOption(tenant())
    .option('--force', 'activate the new model even when the "not worse" gate would keep the active one (bypasses the gate)')
    .option('--json', 'print the result as JSON')
    .action(async (o: TrainOptions) => (await import('./commands/train.ts')).runTrain(deps, o));

  return program;
}
