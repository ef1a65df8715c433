import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../../core/errors.ts';
import { MAPPINGS_DIR } from '../../mapping/load.ts';
import { saveMappingOverride } from '../../mapping/resolve.ts';
import type { Store } from '../../store/index.ts';
import type { ServerContext } from '../context.ts';
import { type RouteDef, route } from './registry.ts';
import { MappingPut, MappingQuery, MappingResponse, PlaybookPut, PlaybookResponse } from './schemas.ts';

export type MappingSourceName = 'salesforce' | 'hubspot';

/** The CRM a tenant is connected to (its first live connection), else Salesforce. */
export async function defaultSource(store: Store, tenantId: string): Promise<MappingSourceName> {
  const cs = await store.connections.list(tenantId);
  const c =
    cs.find((x) => x.status !== 'disconnected' && (x.crm === 'salesforce' || x.crm === 'hubspot')) ?? cs.find((x) => x.crm !== 'csv');
  return c?.crm === 'hubspot' ? 'hubspot' : 'salesforce';
}

/** The tenant's mapping document as stored (override) or as shipped (mappings/<crm>.yaml). */
export async function mappingDocument(
  store: Store,
  tenantId: string,
  source: MappingSourceName,
): Promise<{ overridden: boolean; mapping: Record<string, unknown> }> {
  const own = await store.mappings.get(tenantId, source);
  if (own) return { overridden: true, mapping: own };
  const file = path.join(MAPPINGS_DIR, `${source}.yaml`);
  if (!existsSync(file)) throw new AppError('not_found', `no default mapping for ${source} (mappings/${source}.yaml is missing)`);
  return { overridden: false, mapping: parseYaml(readFileSync(file, 'utf8')) as Record<string, unknown> };
}

export function settingsRoutes(s: ServerContext): RouteDef[] {
  const { store } = s.app;
  return [
    route({
      method: 'get',
      path: '/v1/mappings',
      tag: 'Settings',
      summary: "The field mapping in use (the tenant's override, else the shipped default)",
      access: 'read',
      query: MappingQuery,
      response: MappingResponse,
      errors: [404],
      async handler({ principal, query }) {
        const source = query.source ?? (await defaultSource(store, principal.tenantId));
        return { source, ...(await mappingDocument(store, principal.tenantId, source)) };
      },
    }),
    route({
      method: 'put',
      path: '/v1/mappings',
      tag: 'Settings',
      summary: "Replace the tenant's mapping (validated; errors name the key path)",
      access: 'admin',
      body: MappingPut,
      response: MappingResponse,
      async handler({ principal, body }) {
        await saveMappingOverride(store, principal.tenantId, body.source, body.mapping, principal.label, s.app.now());
        await store.audit.add(principal.tenantId, { actor: principal.label, action: 'mapping.updated', target: body.source }, s.app.now());
        return { source: body.source, overridden: true, mapping: body.mapping };
      },
    }),
    route({
      method: 'get',
      path: '/v1/playbook',
      tag: 'Settings',
      summary: 'The playbook of recommended actions (tenant override, else the shipped one)',
      access: 'read',
      response: PlaybookResponse,
      async handler({ principal }) {
        return s.deps.scoring.playbook.get(principal.tenantId);
      },
    }),
    route({
      method: 'put',
      path: '/v1/playbook',
      tag: 'Settings',
      summary: "Replace the tenant's playbook (validated; errors name the key path)",
      access: 'admin',
      body: PlaybookPut,
      response: PlaybookResponse,
      async handler({ principal, body }) {
        const r = await s.deps.scoring.playbook.save(principal.tenantId, body.playbook, principal.label);
        await store.audit.add(principal.tenantId, { actor: principal.label, action: 'playbook.updated' }, s.app.now());
        return r;
      },
    }),
  ];
}
