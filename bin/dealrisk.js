#!/usr/bin/env node
// The CLI runs the TypeScript sources through tsx, so it works right after `npm ci`.
import v8 from 'node:v8';
import { register } from 'tsx/esm/api';

// tsx's loader hooks run off the main thread on Node 20: every module imported after register()
// costs a round trip, and the database stack is about 370 modules (kysely alone 262). A command that
// opens the database imports those packages here first, natively; the TypeScript that imports
// them later finds them loaded (figures: docs/BENCHMARKS.md, CLI start-up).
// A name missing here only makes its command slower; help and the sandbox need none of them.
const DATABASE_PACKAGES = ['kysely', 'zod', '@electric-sql/pglite', 'pg', 'winston'];
const NO_DATABASE = new Set(['help', 'sandbox']);

// `deals list` and `deals show` read a few rows; without a running app most of their time is
// PGlite compiling its WebAssembly, which V8's optimizing tier then compiles again in the
// background, competing with the command for the CPU. The baseline compiler alone answers
// sooner (docs/BENCHMARKS.md, CLI start-up). Longer commands keep the optimizing tier.
const BASELINE_WASM = new Set(['deals']);

const args = process.argv.slice(2);
const command = args.find((a) => !a.startsWith('-'));
if (command && !NO_DATABASE.has(command) && !args.includes('--help') && !args.includes('-h')) {
  if (BASELINE_WASM.has(command)) v8.setFlagsFromString('--liftoff-only');
  await Promise.all(DATABASE_PACKAGES.map((p) => import(p)));
}
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
