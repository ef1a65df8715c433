import type { TaskRequest } from '../../../connectors/types.ts';
import type { Source } from '../../core/deal.ts';
import type { AlertDecision } from '../../store/repos/alerts.ts';
import type { StateRow } from '../../store/repos/sync-state.ts';
import type { SyncConfig } from '../config.ts';
import { type DigestMoney, digestMoney } from '../digest-forecast.ts';
import { afterQuietHours } from '../local-time.ts';
import type { RunState } from '../run-state.ts';

const DAY_MS = 86_400_000;

/** An alert's amount: in the deal's own currency, and converted when that is another than the reporting one. */
export type AlertMoney = DigestMoney & { reporting: string | null };

/**
 * alerts: deals that newly entered the alert threshold (flagged when scored) raise one alert:
 * a task on the deal through the connector and a Slack message, at most one per deal per
 * suppression window (24 h); deals that stay Critical were never flagged.
 */
export async function raiseAlerts(run: RunState): Promise<void> {
  const { ctx, tenantId, config } = run;
  const source = run.connector.source;
  const tasksOn = config.writeBack.tasks.enabled && run.connector.mapping.writeBack?.tasks.enabled !== false;
  let fx: Awaited<ReturnType<typeof digestMoney>> | null = null;
  for (;;) {
    const due = await ctx.store.syncState.alertsDue(tenantId, source, 500, run.only);
    if (due.length === 0) break;
    const now = ctx.now();
    // The amount in its own currency and the corporate one: the rates are read once, only when an alert is due.
    fx ??= await digestMoney(ctx.store, tenantId, now);
    const facts = await ctx.store.currencyRates.dealMoney(tenantId, due);
    const decisions = due.map((row) => {
      const f = facts.get(`${row.source}:${row.externalId}`);
      const money = {
        ...fx!.money({
          source: row.source as Source,
          externalId: row.externalId,
          amount: row.risk.summary.amount,
          currency: f?.currency ?? null,
          expectedCloseDate: f?.expectedCloseDate ?? null,
          closedAt: f?.closedAt ?? null,
        }),
        reporting: fx!.reporting,
      };
      return decideAlert(row, config, now, { source, tasksOn, recordUrl: run.connector.recordUrl(row.externalId), money });
    });
    run.counts.alerts += await ctx.store.alerts.resolve(tenantId, run.connection.id, decisions, now);
    run.counts.alertsSuppressed += decisions.filter((d) => !d.raise).length;
  }
  await run.probe('alerts-raised');
}

/** One deal's alert: raised on its channels, or suppressed (why is in the counts). Pure. */
export function decideAlert(
  row: StateRow,
  cfg: SyncConfig,
  now: Date,
  opts: {
    source: string;
    tasksOn: boolean;
    recordUrl: string | null;
    /** The amount's own currency, its value in the reporting (corporate) currency, and that currency. */
    money?: AlertMoney;
  },
): AlertDecision {
  const a = cfg.alerts;
  const quiet: AlertDecision = { source: row.source, externalId: row.externalId, raise: null };
  if (!a.enabled || row.score < a.threshold) return quiet;
  if (row.lastAlertAt && now.getTime() - row.lastAlertAt.getTime() < a.suppressHours * 3_600_000) return quiet;
  if (row.modelStatus === 'no_signal' && !a.onNoSignal) return quiet;
  const s = row.risk.summary;
  const name = s.name ?? row.externalId;
  const payload = {
    externalId: row.externalId,
    name,
    score: row.score,
    category: row.category,
    drivers: s.drivers,
    firstAction: s.firstAction,
    ownerId: s.ownerId,
    ownerName: s.ownerName,
    amount: s.amount,
    ...(opts.money ?? {}),
    url: opts.recordUrl,
  };
  let task: { key: string; payload: TaskRequest } | null = null;
  if (a.channels.includes('crm_task') && opts.tasksOn) {
    const request: TaskRequest = {
      key: `${row.externalId}:critical-alert:${now.toISOString().slice(0, 10)}`,
      dealExternalId: row.externalId,
      ownerId: s.ownerId,
      subject: `Deal at critical risk (${row.score}/100): ${name}`,
      description: [...s.drivers.map((d) => `- ${d}`), s.firstAction ? `Next: ${s.firstAction}` : ''].filter(Boolean).join('\n'),
      priority: 'high',
      dueDate: new Date(now.getTime() + DAY_MS),
    };
    task = { key: `${opts.source}:${request.key}`, payload: request };
  }
  const deliveries: NonNullable<AlertDecision['raise']>['deliveries'] = [];
  if (a.channels.includes('slack') && a.slackWebhookUrl) {
    deliveries.push({
      channel: 'slack',
      key: `alert:${opts.source}:${row.externalId}:${now.toISOString()}`,
      payload: { ...payload, kind: 'alert' },
      notBefore: afterQuietHours(now, a.quietHours, a.timezone),
    });
  }
  return { source: row.source, externalId: row.externalId, raise: { score: row.score, payload, task, deliveries } };
}
