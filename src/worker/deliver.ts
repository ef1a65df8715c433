import nodemailer from 'nodemailer';
import type { AppContext } from '../context.ts';
import { PrivateHostAllowList } from '../net/public-address.ts';
import { postJson, type Resolve, resolveDestination, systemResolve } from '../net/webhook-post.ts';
import { type DeliveryChannel, type DeliveryMessage, deliveryMessage } from '../store/repos/deliveries.ts';
import type { SyncConfig } from '../sync/config.ts';
import { tenantSyncConfig } from '../sync/config.ts';
import { renderAlertSlack, renderDigestEmail, renderDigestSlack } from './messages.ts';

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** How messages leave: Slack incoming webhooks over HTTP, email over SMTP. Tests pass their own. */
export interface Transports {
  postSlack(url: string, body: Record<string, unknown>, opts: SlackPostOptions): Promise<void>;
  sendEmail(msg: EmailMessage): Promise<void>;
}

export interface SlackPostOptions {
  timeoutMs: number;
  /** Private hosts the deployment lets webhooks reach (SLACK_ALLOW_PRIVATE_HOSTS; never in production). */
  allowPrivate: PrivateHostAllowList;
}

/**
 * Slack over HTTPS to public addresses only (src/net/webhook-post.ts): a tenant admin chooses the
 * URL, so it must not reach inside our network. `resolve` is the DNS lookup (tests inject one).
 */
export function defaultTransports(smtpUrl: string | undefined, o: { resolve?: Resolve } = {}): Transports {
  const mailer = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
  const resolve = o.resolve ?? systemResolve;
  return {
    async postSlack(url, body, opts) {
      const dest = await resolveDestination(url, opts.allowPrivate, resolve);
      try {
        // Slack answers 200 "ok"; anything else (404 no_service, 410 channel_is_archived...) is a failure.
        await postJson(dest, body, opts.timeoutMs);
      } catch (e) {
        throw new Error(`Slack ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    },
    async sendEmail(msg) {
      if (!mailer) throw new Error('no SMTP server configured (SMTP_URL)');
      await mailer.sendMail({ from: msg.from, to: msg.to, subject: msg.subject, text: msg.text, html: msg.html });
    },
  };
}

/**
 * Sends due alert and digest deliveries. A failure is recorded and retried with backoff up to
 * the configured attempts, then kept as dead with its error; it never blocks a sync.
 */
export async function sendDueDeliveries(
  ctx: AppContext,
  base: SyncConfig,
  transports: Transports,
  opts: { tenantId?: string; limit?: number } = {},
): Promise<{ sent: number; failed: number }> {
  const out = { sent: 0, failed: 0 };
  // Claimed long enough to send them all one by one at the timeout each, at most 5 minutes:
  // a dead worker's claim soon passes and another sends them.
  const limit = opts.limit ?? 20;
  const leaseMs = Math.min(300_000, 2 * base.delivery.timeoutSeconds * 1000 * limit);
  const due = await ctx.store.deliveries.claimDue(ctx.now(), limit, leaseMs, opts.tenantId);
  const configs = new Map<string, SyncConfig | null>();
  const allowPrivate = new PrivateHostAllowList(ctx.env.SLACK_ALLOW_PRIVATE_HOSTS);
  for (const d of due) {
    if (!configs.has(d.tenantId)) {
      const tenant = await ctx.store.tenants.get(d.tenantId);
      configs.set(d.tenantId, tenant ? tenantSyncConfig(base, tenant, { slackWebhookUrl: ctx.env.SLACK_WEBHOOK_URL }) : null);
    }
    const cfg = configs.get(d.tenantId);
    let message: DeliveryMessage | null = null;
    try {
      if (!cfg) throw new Error(`tenant ${d.tenantId} no longer exists`);
      message = deliveryMessage(d);
      await deliver(message, d.channel, cfg, transports, allowPrivate);
      await ctx.store.deliveries.markSent(d.tenantId, d.id, ctx.now());
      out.sent++;
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      // No retry brings back a tenant that is gone or reads a row that does not parse.
      const retryable = cfg != null && message !== null;
      const policy = { maxAttempts: cfg?.delivery.maxAttempts ?? 1, baseMs: (cfg?.delivery.retryBaseSeconds ?? 60) * 1000 };
      const outcome = await ctx.store.deliveries.markFailed(d.tenantId, d.id, error, ctx.now(), { policy, retryable });
      ctx.logger.warn('delivery failed', {
        tenantId: d.tenantId,
        deliveryId: d.id,
        kind: d.kind,
        channel: d.channel,
        attempt: outcome?.attempts ?? d.attempts + 1,
        willRetry: outcome?.status === 'failed',
        error,
      });
      out.failed++;
    }
  }
  return out;
}

async function deliver(
  m: DeliveryMessage,
  channel: DeliveryChannel,
  cfg: SyncConfig,
  t: Transports,
  allowPrivate: PrivateHostAllowList,
): Promise<void> {
  const slack = { timeoutMs: cfg.delivery.timeoutSeconds * 1000, allowPrivate };
  if (m.kind === 'alert') {
    const url = cfg.alerts.slackWebhookUrl;
    if (!url) throw new Error('no Slack webhook configured for alerts');
    await t.postSlack(url, renderAlertSlack(m.alert), slack);
    return;
  }
  const { digest, audience } = m;
  if (channel === 'slack') {
    const url = cfg.digest.slackWebhookUrl;
    if (!url) throw new Error('no Slack webhook configured for digests');
    await t.postSlack(url, renderDigestSlack(digest, audience), slack);
    return;
  }
  const to = m.to ?? [];
  await t.sendEmail({ from: cfg.digest.from, to, ...renderDigestEmail(digest, audience) });
}
