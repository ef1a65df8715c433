import type { Command } from 'commander';
import type { AppContext } from '../context.ts';

/** What every CLI command receives: a way to open the app (lazily) and to print. */
export interface CliDeps {
  /** Opens env + store + logger once; commands that need no database never call it. */
  context(): Promise<AppContext>;
  /** Standard output (results); progress and logs go to stderr. */
  print(text: string): void;
  /** Whether stderr is a terminal (progress bars only then). */
  interactive: boolean;
}

export type RegisterCommand = (program: Command, deps: CliDeps) => void;

/** Prints `value` as JSON when --json was given, else the human text. */
export function report(deps: CliDeps, json: boolean | undefined, value: unknown, human: () => string): void {
  deps.print(json ? JSON.stringify(value, null, 2) : human());
}
