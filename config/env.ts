import { isIP } from 'node:net';
import { z } from 'zod';
import { AppError, formatIssues } from '../src/core/errors.ts';
import { allowListEntryProblem, PrivateHostAllowList } from '../src/net/public-address.ts';
import { webhookUrlProblem } from '../src/net/webhook-post.ts';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v)));

/** proxy-addr's named ranges, as Express's `trust proxy` setting accepts them. */
const PROXY_PRESETS = ['loopback', 'linklocal', 'uniquelocal'];

/** One `trust proxy` entry: a preset, an address, or a subnet as address/prefix or address/netmask. */
function proxyEntryProblem(entry: string): string | null {
  if (PROXY_PRESETS.includes(entry)) return null;
  const [addr = '', range, ...extra] = entry.split('/');
  const family = isIP(addr);
  if (!family || extra.length) return `"${entry}" is not an address, a subnet or one of ${PROXY_PRESETS.join(', ')}`;
  if (range === undefined) return null;
  const max = family === 4 ? 32 : 128;
  if (/^\d+$/.test(range) ? Number(range) <= max : family === 4 && isIP(range) === 4) return null;
  return `"${entry}": the prefix must be 0 to ${max}${family === 4 ? ' or a netmask' : ''}`;
}

/**
 * TRUST_PROXY with Express's `trust proxy` semantics: unset or false = trust no proxy (req.ip is
 * the socket's peer); a number = that many proxy hops in front of the app; a comma-separated list
 * of addresses, subnets or presets (loopback, linklocal, uniquelocal) = trust those proxies; true =
 * trust every hop (only when nothing but the proxy can reach the app: clients can forge the header).
 */
const trustProxy = optionalString.transform((v, ctx): boolean | number | string => {
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(',').map((e) => e.trim());
  for (const e of entries) {
    const problem = proxyEntryProblem(e);
    if (problem)
      ctx.addIssue({ code: 'custom', message: `${problem} (expected true, false, a hop count, or comma-separated addresses/subnets)` });
  }
  return entries.join(',');
});

/** SLACK_ALLOW_PRIVATE_HOSTS: comma-separated hosts, addresses or subnets. */
const hostList = optionalString.transform((v, ctx): string[] => {
  const entries = (v ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  for (const e of entries) {
    const problem = allowListEntryProblem(e);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }
  return entries;
});

/**
 * The whole environment, parsed once at start-up. This is the only place that knows
 * variable names; everything else receives an `Env`.
 */
export const EnvSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('127.0.0.1'),
    /** Which proxies in front of the app to believe about the client's address (X-Forwarded-For). */
    TRUST_PROXY: trustProxy,
    /** Public base URL of the app (OAuth callbacks, links in alerts). */
    APP_URL: optionalString.pipe(z.url().optional()),
    /** Postgres connection string; unset = embedded PGlite under DATA_DIR. */
    DATABASE_URL: optionalString,
    DATA_DIR: z.string().default('./data'),
    /** 32 bytes, base64 or hex: encrypts CRM tokens at rest (AES-256-GCM). */
    ENCRYPTION_KEY: optionalString,
    SESSION_SECRET: optionalString,
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).optional(),
    SALESFORCE_CLIENT_ID: optionalString,
    SALESFORCE_CLIENT_SECRET: optionalString,
    SALESFORCE_LOGIN_URL: optionalString.pipe(z.url().optional()),
    SALESFORCE_API_VERSION: z
      .string()
      .regex(/^\d+\.\d$/)
      .default('66.0'),
    HUBSPOT_CLIENT_ID: optionalString,
    HUBSPOT_CLIENT_SECRET: optionalString,
    HUBSPOT_APP_ID: optionalString,
    /** A private-app or service-key token for single-portal setups. */
    HUBSPOT_PRIVATE_APP_TOKEN: optionalString,
    /** Start the sandbox CRM even though CRM credentials are configured. */
    SANDBOX: boolish,
    SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(0),
    SANDBOX_DEALS: z.coerce.number().int().min(1).default(2000),
    SANDBOX_SEED: z.coerce.number().int().default(42),
    /** Sandbox ms per real ms in the demo: 1 = real time; 60 = a sandbox hour per minute. */
    SANDBOX_PACE: z.coerce.number().min(0).default(1),
    SLACK_WEBHOOK_URL: optionalString.pipe(z.url().optional()),
    /**
     * Hosts, addresses or subnets Slack webhooks may reach although private, over http too: a
     * local Slack stand-in for tests and demos only (refused in production). Unset, webhooks go
     * to public https addresses only.
     */
    SLACK_ALLOW_PRIVATE_HOSTS: hostList,
    SMTP_URL: optionalString,
    /** Which parts this process runs: all (the embedded default), web, or worker (Procfile roles). */
    ROLE: z.enum(['all', 'web', 'worker']).default('all'),
    /**
     * Prometheus metrics on a listener of their own (GET /metrics), never on the public PORT.
     * Unset = no metrics listener. METRICS_HOST is where it listens; METRICS_TOKEN, when set, is
     * the bearer token a scrape must send (required off loopback and in production).
     */
    METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
    METRICS_HOST: z.string().default('127.0.0.1'),
    METRICS_TOKEN: optionalString.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  })
  .superRefine((env, ctx) => {
    if (env.SLACK_WEBHOOK_URL) {
      const problem = webhookUrlProblem(
        env.SLACK_WEBHOOK_URL,
        new PrivateHostAllowList(env.NODE_ENV === 'production' ? [] : env.SLACK_ALLOW_PRIVATE_HOSTS),
      );
      if (problem) ctx.addIssue({ code: 'custom', path: ['SLACK_WEBHOOK_URL'], message: problem });
    }
    if (env.METRICS_PORT !== undefined) {
      if (env.METRICS_PORT === env.PORT && env.ROLE !== 'worker') {
        ctx.addIssue({
          code: 'custom',
          path: ['METRICS_PORT'],
          message: 'must differ from PORT: metrics are never served on the public port',
        });
      }
      if (!env.METRICS_TOKEN && !isLoopback(env.METRICS_HOST)) {
        ctx.addIssue({
          code: 'custom',
          path: ['METRICS_TOKEN'],
          message: `is required when METRICS_HOST (${env.METRICS_HOST}) is not a loopback address`,
        });
      } else if (!env.METRICS_TOKEN && env.NODE_ENV === 'production') {
        ctx.addIssue({ code: 'custom', path: ['METRICS_TOKEN'], message: 'is required in production when METRICS_PORT is set' });
      }
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.SLACK_ALLOW_PRIVATE_HOSTS.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['SLACK_ALLOW_PRIVATE_HOSTS'],
        message: 'is for tests and demos only: it must not be set in production',
      });
    }
    if (!env.ENCRYPTION_KEY) ctx.addIssue({ code: 'custom', path: ['ENCRYPTION_KEY'], message: 'is required in production' });
    if (!env.SESSION_SECRET) ctx.addIssue({ code: 'custom', path: ['SESSION_SECRET'], message: 'is required in production' });
    if (!env.APP_URL?.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['APP_URL'], message: 'must be an https URL in production' });
    }
  });

export type Env = z.infer<typeof EnvSchema>;

/** Parses the environment, reporting every problem at once. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const r = EnvSchema.safeParse(source);
  if (!r.success) throw new AppError('config_invalid', `invalid environment: ${formatIssues(r.error.issues)}`);
  return r.data;
}

/** 127.0.0.0/8, ::1 and the name localhost: reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** True when either CRM is configured with real credentials. */
export const hasCrmCredentials = (env: Env): boolean =>
  Boolean(
    (env.SALESFORCE_CLIENT_ID && env.SALESFORCE_CLIENT_SECRET) ||
      (env.HUBSPOT_CLIENT_ID && env.HUBSPOT_CLIENT_SECRET) ||
      env.HUBSPOT_PRIVATE_APP_TOKEN,
  );
