import { z } from 'zod';
import type { RouteDef } from './registry.ts';
import { ErrorBody } from './schemas.ts';

type Json = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is invalid; details.issues names each offending field',
  401: 'No valid session or API key',
  403: 'The caller may not do this (viewer session or read-only key)',
  404: "Not found in the caller's tenant",
  409: 'Conflicts with the current state (or the same Idempotency-Key is still in progress)',
  413: 'The request body is too large',
  429: 'Rate limit reached; Retry-After says when to try again',
};

/**
 * Converts zod schemas to JSON Schema 2020-12 (OpenAPI 3.1's dialect), hoisting every schema
 * with a `.meta({ id })` into components so the document names each shape once.
 */
class SchemaCollector {
  readonly components: Record<string, Json> = {};
  convert(schema: z.ZodType, io: 'input' | 'output'): Json {
    const js = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any', reused: 'inline' }) as Json;
    const defs = (js.$defs ?? {}) as Record<string, Json>;
    delete js.$defs;
    delete js.$schema;
    for (const [id, def] of Object.entries(defs)) {
      // Input and output shapes differ (defaults, transforms): name them apart when they do.
      const name = this.nameFor(id, def, io);
      this.components[name] = this.rewrite(def, io) as Json;
    }
    return this.rewrite(js, io) as Json;
  }
  private nameFor(id: string, def: Json, io: 'input' | 'output'): string {
    const existing = this.components[id];
    if (!existing || JSON.stringify(existing) === JSON.stringify(this.rewrite(def, io))) return id;
    return `${id}${io === 'input' ? 'Input' : 'Output'}`;
  }
  private rewrite(v: unknown, io: 'input' | 'output'): unknown {
    if (Array.isArray(v)) return v.map((x) => this.rewrite(x, io));
    if (v && typeof v === 'object') {
      const out: Json = {};
      for (const [k, x] of Object.entries(v as Json)) {
        if (k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/')) {
          const id = x.slice('#/$defs/'.length);
          const alt = `${id}${io === 'input' ? 'Input' : 'Output'}`;
          out[k] = `#/components/schemas/${this.components[alt] ? alt : id}`;
        } else out[k] = this.rewrite(x, io);
      }
      return out;
    }
    return v;
  }
}

const toOpenApiPath = (p: string): string => p.replace(/:([A-Za-z_]+)/g, '{$1}');

function parameters(c: SchemaCollector, schema: z.ZodType | undefined, where: 'query' | 'path'): Json[] {
  if (!schema) return [];
  const js = c.convert(schema, 'input');
  const props = (js.properties ?? {}) as Record<string, Json>;
  const required = new Set((js.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => {
    const { description, ...rest } = s;
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

/** The OpenAPI 3.1 document of every route, generated from the schemas that validate them. */
export function buildOpenApi(defs: RouteDef[], info: { version: string; serverUrl?: string }): Json {
  const c = new SchemaCollector();
  const errorRef = { $ref: '#/components/schemas/Error' };
  c.components.Error = c.convert(ErrorBody, 'output');
  delete c.components.Error.$ref;
  const paths: Record<string, Record<string, Json>> = {};
  for (const d of defs) {
    const errors = new Set<number>([
      ...(d.access === 'public' ? [] : [401, 429]),
      ...(d.query || d.params || d.body ? [400] : []),
      ...(d.access === 'admin' ? [403] : []),
      ...(d.errors ?? []),
    ]);
    const responses: Json = {
      [String(d.status ?? 200)]: { description: 'Success', content: { 'application/json': { schema: c.convert(d.response, 'output') } } },
    };
    for (const s of [...errors].sort())
      responses[String(s)] = { description: ERROR_TEXT[s] ?? 'Error', content: { 'application/json': { schema: errorRef } } };
    const op: Json = {
      operationId: `${d.method}${d.path.replace(/^\/v1/, '').replace(/[/:-]+(\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      tags: [d.tag],
      summary: d.summary,
      ...(d.description ? { description: d.description } : {}),
      parameters: [
        ...parameters(c, d.params, 'path'),
        ...parameters(c, d.query, 'query'),
        ...(d.idempotent
          ? [
              {
                name: 'Idempotency-Key',
                in: 'header',
                required: false,
                description: 'Replays the first response for 24 h instead of repeating the work',
                schema: { type: 'string', maxLength: 255 },
              },
            ]
          : []),
      ],
      ...(d.body ? { requestBody: { required: true, content: { 'application/json': { schema: c.convert(d.body, 'input') } } } } : {}),
      responses,
      security: d.access === 'public' ? [] : [{ apiKey: [] }, { session: [] }],
    };
    if ((op.parameters as Json[]).length === 0) delete op.parameters;
    const path = toOpenApiPath(d.path);
    paths[path] ??= {};
    paths[path][d.method] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'dealrisk API',
      version: info.version,
      description:
        'Deal-loss risk for Salesforce and HubSpot pipelines. Authenticate with an API key (Settings → API keys) as `Authorization: Bearer <key>`. Every request sees only the key\'s tenant. Errors are `{ "error": code, "message", "details" }`.',
    },
    ...(info.serverUrl ? { servers: [{ url: info.serverUrl }] } : {}),
    paths,
    components: {
      schemas: c.components,
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (drk_…) created by an admin; read-only or admin' },
        session: { type: 'apiKey', in: 'cookie', name: 'dr_session', description: 'Browser session (forms also need the CSRF token)' },
      },
    },
  };
}
