import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { parseEnv } from '../../config/env.ts';
import { createAppContext, loggerFor, type AppContext } from '../app/context.ts';
import { isAppError } from '../core/errors.ts';
import type { CliDeps, RegisterCommand } from './deps.ts';

const COMMANDS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

/** Builds the `dealrisk` program; every file in src/cli/commands registers its own commands. */
export async function buildProgram(deps: CliDeps): Promise<Command> {
  const program = new Command('dealrisk')
    .description('Deal-loss risk scoring for Salesforce and HubSpot')
    .showHelpAfterError()
    .exitOverride();
  for (const f of readdirSync(COMMANDS_DIR).filter((f) => f.endsWith('.ts')).sort()) {
    const mod = (await import(pathToFileURL(path.join(COMMANDS_DIR, f)).href)) as { register?: RegisterCommand };
    mod.register?.(program, deps);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let ctx: AppContext | undefined;
  const env = parseEnv(process.env);
  const deps: CliDeps = {
    async context() {
      // Logs go to stderr and stay quiet unless something is wrong: stdout is for results.
      ctx ??= await createAppContext(env, {
        logger: loggerFor({ ...env, LOG_LEVEL: env.LOG_LEVEL === 'info' ? 'warn' : env.LOG_LEVEL }),
        share: { role: 'command', label: commandLabel(argv) },
      });
      return ctx;
    },
    print: (text) => process.stdout.write(`${text}\n`),
    interactive: Boolean(process.stderr.isTTY),
  };
  try {
    const program = await buildProgram(deps);
    await program.parseAsync(argv);
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
