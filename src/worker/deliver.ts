import nodemailer from 'nodemailer';
import type { AppContext } from '../app/context.ts';
import type { Delivery } from '../store/repos/deliveries.ts';
import type { SyncConfig } from '../sync/config.ts';
import { tenantSyncConfig } from '../sync/config.ts';
import { renderAlertSlack, renderDigestEmail, renderDigestSlack, type AlertMessage } from './messages.ts';
import type { Digest } from './digest.ts';

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** How messages leave: Slack incoming webhooks over HTTP, email over SMTP. Tests pass their own. */
export interface Transports {
  postSlack(url: string, body: Record<string, unknown>, timeoutMs: number): Promise<void>;
  sendEmail(msg: EmailMessage): Promise<void>;
}

export function defaultTransports(smtpUrl: string | undefined): Transports {
  const mailer = smtpUrl ? nodemailer.createTransport(smtpUrl) : null;
  return {
    async postSlack(url, body, timeoutMs) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      // Slack answers 200 "ok"; anything else (404 no_service, 410 channel_is_archived...) is a failure.
      if (!res.ok) throw new Error(`Slack answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
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
  for (const d of due) {
    if (!configs.has(d.tenantId)) {
      const tenant = await ctx.store.tenants.get(d.tenantId);
      configs.set(d.tenantId, tenant ? tenantSyncConfig(base, tenant, { slackWebhookUrl: ctx.env.SLACK_WEBHOOK_URL }) : null);
    }
    const cfg = configs.get(d.tenantId);
    try {
      if (!cfg) throw new Error(`tenant ${d.tenantId} no longer exists`);
      await deliver(d, cfg, transports);
      await ctx.store.deliveries.markSent(d.tenantId, d.id, ctx.now());
      out.sent++;
    } catch (e) {
      const attempt = d.attempts + 1;
      const maxAttempts = cfg?.delivery.maxAttempts ?? 1;
      const retryAt = attempt < maxAttempts ? new Date(ctx.now().getTime() + (cfg?.delivery.retryBaseSeconds ?? 60) * 1000 * 2 ** (attempt - 1)) : null;
      const message = e instanceof Error ? e.message : String(e);
      await ctx.store.deliveries.markFailed(d.tenantId, d.id, message, retryAt);
      ctx.logger.warn('delivery failed', { tenantId: d.tenantId, deliveryId: d.id, kind: d.kind, channel: d.channel, attempt, willRetry: retryAt !== null, error: message });
      out.failed++;
    }
  }
  return out;
}

async function deliver(d: Delivery, cfg: SyncConfig, t: Transports): Promise<void> {
  const timeoutMs = cfg.delivery.timeoutSeconds * 1000;
  if (d.kind === 'alert') {
    const url = cfg.alerts.slackWebhookUrl;
    if (!url) throw new Error('no Slack webhook configured for alerts');
    await t.postSlack(url, renderAlertSlack(d.payload as unknown as AlertMessage), timeoutMs);
    return;
  }
  const digest = d.payload.digest as unknown as Digest;
  const audience = d.payload.audience as { kind: 'owner' | 'admin'; name: string | null };
  if (d.channel === 'slack') {
    const url = cfg.digest.slackWebhookUrl;
    if (!url) throw new Error('no Slack webhook configured for digests');
    await t.postSlack(url, renderDigestSlack(digest, audience), timeoutMs);
    return;
  }
  const to = d.payload.to as string[];
  await t.sendEmail({ from: cfg.digest.from, to, ...renderDigestEmail(digest, audience) });
}
