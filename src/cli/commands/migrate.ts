import { migrateToLatest, migrator } from '../../store/migrate.ts';
import { type CliDeps, report } from '../deps.ts';

export interface MigrateOptions {
  json?: boolean;
}

/** `dealrisk migrate` (declared in ../program.ts). */
export async function runMigrate(deps: CliDeps, o: MigrateOptions): Promise<void> {
  const ctx = await deps.context();
  const applied = await migrateToLatest(ctx.store.db as never);
  const all = await migrator(ctx.store.db as never).getMigrations();
  const result = { driver: ctx.store.driver, applied, migrations: all.map((m) => ({ name: m.name, executedAt: m.executedAt ?? null })) };
  report(deps, o.json, result, () =>
    [
      `${ctx.store.driver}: ${all.length} migrations applied, latest ${all.at(-1)?.name ?? 'none'}${applied.length ? ` (just applied: ${applied.join(', ')})` : ''}.`,
    ].join('\n'),
  );
}
