import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { AppError, formatIssues } from '../core/errors.ts';

/** The repository's config/sync.yaml. */
export const SYNC_CONFIG_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config/sync.yaml');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24 h)');
const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'unknown IANA time zone');
const category = z.enum(['Low', 'Medium', 'High', 'Critical']);
/**
 * A Slack incoming webhook: an http(s) URL without credentials. Where it may lead (https, public
 * addresses only) depends on the deployment and on DNS, so it is checked when an admin saves it
 * and again, after resolution, at every send (src/net/webhook-post.ts).
 */
const webhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an https URL' })
  .refine((u) => !/^[a-z]+:\/\/[^/?#]*@/i.test(u), 'must not carry a user name or password');

export const SyncConfig = z
  .object({
    schedule: z
      .object({
        cron: z.string().min(1),
        timezone: timezone.default('UTC'),
        jitterSeconds: z.number().int().min(0).max(3600).default(600),
        pollSeconds: z.number().min(0.05).max(600).default(10),
        catchUp: z.boolean().default(true),
      })
      .strict(),
    lease: z.object({ ttlSeconds: z.number().min(1).default(300), renewSeconds: z.number().min(0.05).default(60) }).strict(),
    scoring: z.object({ rescoreAfterHours: z.number().positive().default(24), chunk: z.number().int().min(1).default(2000) }).strict(),
    retrain: z
      .object({
        minNewClosed: z.number().int().min(1).default(50),
        minNewClosedShare: z.number().min(0).max(1).default(0.1),
        everyHours: z.number().positive().default(24),
        keepModels: z.number().int().min(1).default(3),
        gate: z.object({ aucTolerance: z.number().min(0).default(0.01), logLossTolerance: z.number().min(0).default(0.005) }).strict(),
        drift: z
          .object({
            minClosed: z.number().int().min(1).default(30),
            maxCalibrationGap: z.number().min(0).max(1).default(0.1),
            maxAucDrop: z.number().min(0).max(1).default(0.05),
          })
          .strict(),
      })
      .strict(),
    writeBack: z
      .object({
        chunk: z.number().int().min(1).default(200),
        taskChunk: z.number().int().min(1).default(200),
        maxAttempts: z.number().int().min(1).default(8),
        retryBaseSeconds: z.number().min(0).default(60),
        tasks: z
          .object({
            enabled: z.boolean().default(true),
            categories: z.array(category).default(['High', 'Critical']),
            priorities: z.array(z.enum(['immediate', 'this_week', 'ongoing'])).default(['immediate', 'this_week']),
            withholdOnNoSignal: z.boolean().default(true),
          })
          .strict(),
      })
      .strict(),
    alerts: z
      .object({
        enabled: z.boolean().default(true),
        threshold: z.number().int().min(0).max(100).default(76),
        channels: z.array(z.enum(['crm_task', 'slack'])).default(['crm_task', 'slack']),
        suppressHours: z.number().min(0).default(24),
        onFirstSync: z.boolean().default(false),
        onNoSignal: z.boolean().default(false),
        quietHours: z.object({ start: clock, end: clock }).strict().nullable().default(null),
        timezone: timezone.default('UTC'),
        slackWebhookUrl: webhookUrl.nullable().default(null),
      })
      .strict(),
    digest: z
      .object({
        enabled: z.boolean().default(true),
        localTime: clock.default('08:00'),
        timezone: timezone.default('UTC'),
        top: z.number().int().min(1).max(100).default(10),
        minScore: z.number().int().min(0).max(100).default(51),
        channels: z.array(z.enum(['slack', 'email'])).default(['slack', 'email']),
        slackWebhookUrl: webhookUrl.nullable().default(null),
        ownerEmails: z.record(z.string(), z.email()).default({}),
        adminEmails: z.array(z.email()).default([]),
        from: z.string().min(3).default('dealrisk <no-reply@dealrisk.local>'),
      })
      .strict(),
    delivery: z
      .object({
        maxAttempts: z.number().int().min(1).default(6),
        retryBaseSeconds: z.number().min(0).default(60),
        timeoutSeconds: z.number().positive().default(10),
      })
      .strict(),
    realtime: z
      .object({
        enabled: z.boolean().default(true),
        maxDeals: z.number().int().min(1).max(2000).default(500),
        pollSeconds: z.number().min(0).default(45),
      })
      .strict()
      .prefault({}),
    retention: z
      .object({
        closedDealDays: z.number().int().min(1).default(730),
        scoreHistoryDays: z.number().int().min(1).default(365),
        runRecordDays: z.number().int().min(1).default(365),
        outboxDays: z.number().int().min(1).default(90),
      })
      .strict(),
  })
  .strict();
export type SyncConfig = z.infer<typeof SyncConfig>;

/** Keys a tenant may override through `tenants.settings.sync`. */
export const TENANT_KEYS = ['scoring', 'retrain', 'writeBack', 'alerts', 'digest', 'realtime', 'retention'] as const;

/** Validates a whole config document; errors name `where` and each offending key path. */
export function parseSyncConfig(doc: unknown, where: string): SyncConfig {
  const r = SyncConfig.safeParse(doc);
  if (!r.success) throw new AppError('config_invalid', `${where}: ${formatIssues(r.error.issues)}`, { path: where });
  return r.data;
}

export function loadSyncConfig(file = SYNC_CONFIG_FILE): SyncConfig {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AppError('config_invalid', `${file}: ${(e as Error).message.split('\n')[0]}`, { path: file, cause: e });
  }
  return parseSyncConfig(doc, file);
}

const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isPlain(v) && isPlain(base[k]) ? deepMerge(base[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * The config one tenant runs with: the file's values, overridden key by key by the tenant's
 * `settings.sync`, and the deployment's SLACK_WEBHOOK_URL as the default Slack destination.
 * A bad override names the tenant and the key path.
 */
export function tenantSyncConfig(
  base: SyncConfig,
  tenant: { id: string; settings: Record<string, unknown> },
  defaults: { slackWebhookUrl?: string | undefined } = {},
): SyncConfig {
  const raw = tenant.settings.sync;
  const override: Record<string, unknown> = {};
  if (isPlain(raw)) {
    for (const [k, v] of Object.entries(raw)) {
      if (!(TENANT_KEYS as readonly string[]).includes(k)) {
        throw new AppError(
          'config_invalid',
          `tenant ${tenant.id} settings.sync.${k}: not a tenant setting (one of ${TENANT_KEYS.join(', ')})`,
          {
            path: `settings.sync.${k}`,
          },
        );
      }
      override[k] = v;
    }
  }
  const merged = deepMerge(base, override) as SyncConfig;
  if (defaults.slackWebhookUrl) {
    merged.alerts = { ...merged.alerts, slackWebhookUrl: merged.alerts.slackWebhookUrl ?? defaults.slackWebhookUrl };
    merged.digest = { ...merged.digest, slackWebhookUrl: merged.digest.slackWebhookUrl ?? defaults.slackWebhookUrl };
  }
  return parseSyncConfig(merged, `tenant ${tenant.id} settings.sync`);
}
