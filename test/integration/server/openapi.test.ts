import { Validator } from '@seriousme/openapi-schema-validator';
import type express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/server/index.ts';
import { api } from './client.ts';
import { startTestWeb, type Web } from './harness.ts';

/** Every route express serves from the API routers, as "METHOD /openapi/path". */
function expressRoutes(app: express.Express): string[] {
  const out: string[] = [];
  const walk = (stack: any[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods))
          out.push(`${m.toUpperCase()} ${String(layer.route.path).replace(/:([A-Za-z_]+)/g, '{$1}')}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as any).router.stack);
  return out;
}

describe('OpenAPI document', () => {
  let w: Web;
  let doc: any;
  beforeAll(async () => {
    w = await startTestWeb();
    doc = (await api(w.url, 'GET', '/v1/openapi.json', null)).body;
  });
  afterAll(async () => w.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    const v = new Validator();
    const r = await v.validate(doc);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe('3.1');
  });

  it('describes every API route express serves, and nothing else', () => {
    const app = createApp(w.ctx, w.deps, { sessionSecret: 'x'.repeat(32) });
    const served = expressRoutes(app)
      .filter((r) => / \/v1\/| \/healthz| \/readyz/.test(r))
      .sort();
    const documented = Object.entries(doc.paths as Record<string, object>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
      .sort();
    expect(documented).toEqual(served);
    expect(documented).toEqual(
      expect.arrayContaining([
        'POST /v1/deals/score',
        'GET /v1/deals/high-risk',
        'GET /v1/deals/{id}',
        'GET /v1/pipeline/metrics',
        'GET /v1/forecast/reconciliation',
        'GET /v1/actions/outcomes',
        'GET /v1/models/performance',
        'POST /v1/sync',
        'GET /v1/sync/runs',
        'GET /v1/mappings',
        'PUT /v1/mappings',
        'GET /v1/playbook',
        'PUT /v1/playbook',
        'GET /v1/digest',
        'GET /v1/openapi.json',
        'GET /healthz',
        'GET /readyz',
      ]),
    );
  });

  it('documents request schemas from the same zod schemas that validate them', () => {
    const hr = doc.paths['/v1/deals/high-risk'].get;
    const limit = hr.parameters.find((p: any) => p.name === 'limit');
    expect(limit.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 500, default: 50 });
    expect(hr.parameters.find((p: any) => p.name === 'sort_by').schema.enum).toEqual([
      'score',
      'amount',
      'age',
      'owner',
      'segment',
      'category',
      'name',
    ]);
    const score = doc.paths['/v1/deals/score'].post;
    expect(score.parameters.map((p: any) => p.name)).toContain('Idempotency-Key');
    expect(JSON.stringify(score.requestBody)).toContain('#/components/schemas/');
    expect(score.responses['429'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Error' });
    expect(doc.components.schemas.DealScore.properties.category).toEqual({ $ref: '#/components/schemas/RiskCategory' });
  });
});
