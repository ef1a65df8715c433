import { pathToFileURL } from 'node:url';
import { CommanderError } from 'commander';
import type { AppContext } from '../context.ts';
import { isAppError } from '../core/errors.ts';
import type { CliDeps } from './deps.ts';
import { buildProgram } from './program.ts';

export { buildProgram } from './program.ts';

export async function main(argv: string[]): Promise<number> {
  let ctx: AppContext | undefined;
  const deps: CliDeps = {
    async context() {
      // The environment, the store and its drivers load only for a command that needs the
      // database: `--help` and an option error never pay for them.
      if (!ctx) {
        const [{ parseEnv }, { createAppContext, loggerFor }, { migrateIfBehind }] = await Promise.all([
          import('../../config/env.ts'),
          import('../context.ts'),
          import('./schema-check.ts'),
        ]);
        const env = parseEnv(process.env);
        // Logs go to stderr and stay quiet unless something is wrong: stdout is for results.
        ctx = await createAppContext(env, {
          logger: loggerFor({ ...env, LOG_LEVEL: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL }),
          share: { role: 'command', label: commandLabel(argv) },
          migrate: false,
        });
        await migrateIfBehind(ctx.store.db);
      }
      return ctx;
    },
    print: (text) => process.stdout.write(`${text}\n`),
    interactive: Boolean(process.stderr.isTTY),
  };
  try {
    await buildProgram(deps).parseAsync(argv);
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    process.stderr.write(`error: ${isAppError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return isAppError(e) && e.code === 'config_invalid' ? 2 : 1;
  } finally {
    await ctx?.close();
  }
}

/** `dealrisk import`: the command's name, without its arguments (a path or tenant is no one else's business). */
function commandLabel(argv: string[]): string {
  const name = argv.slice(2).find((a) => !a.startsWith('-'));
  return name ? `dealrisk ${name}` : 'dealrisk';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv);
}
