import { sql } from 'kysely';
import { z } from 'zod';
import { migrationsApplied } from '../../store/migrate.ts';
import type { ServerContext } from '../context.ts';
import { buildOpenApi } from './openapi.ts';
import { type RouteDef, route } from './registry.ts';

const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
const Ready = z
  .object({ status: z.enum(['ready', 'not_ready']), database: z.boolean(), migrations: z.boolean() })
  .meta({ id: 'Readiness' });

/** Health, readiness and the OpenAPI document itself (which lists these too). */
export function metaRoutes(s: ServerContext, all: () => RouteDef[]): RouteDef[] {
  let doc: Record<string, unknown> | null = null;
  return [
    route({
      method: 'get',
      path: '/healthz',
      tag: 'Operations',
      summary: 'Alive (the process answers)',
      access: 'public',
      response: Health,
      async handler() {
        return { status: 'ok' };
      },
    }),
    route({
      method: 'get',
      path: '/readyz',
      tag: 'Operations',
      summary: 'Ready: database reachable and every migration applied (503 otherwise)',
      access: 'public',
      response: Ready,
      async handler({ res }) {
        let database = false;
        let migrations = false;
        try {
          await sql`select 1`.execute(s.app.store.db);
          database = true;
          migrations = await migrationsApplied(s.app.store.db as never);
        } catch (e) {
          s.app.logger.warn('readiness check failed', { error: e });
        }
        const ready = database && migrations;
        res.status(ready ? 200 : 503);
        return { status: ready ? 'ready' : 'not_ready', database, migrations };
      },
    }),
    route({
      method: 'get',
      path: '/v1/openapi.json',
      tag: 'Operations',
      summary: 'This document: OpenAPI 3.1, generated from the schemas that validate requests',
      access: 'public',
      response: z.record(z.string(), z.unknown()),
      async handler() {
        doc ??= buildOpenApi(all(), { version: s.config.version, serverUrl: s.config.appUrl });
        return doc;
      },
    }),
  ];
}
