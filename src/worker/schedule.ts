import { createHash } from 'node:crypto';
import cron from 'node-cron';
import { AppError } from '../core/errors.ts';

/** Checks a cron expression once, at start-up, naming the config key. */
export function assertCron(expr: string, where = 'config/sync.yaml schedule.cron'): void {
  const v = cron.validateDetailed(expr);
  if (!v.valid)
    throw new AppError(
      'config_invalid',
      `${where}: "${expr}" is not a cron expression (${v.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})`,
    );
}

/**
 * The latest time at or before `now` the cron expression fires (minute precision), looking back
 * at most `maxDays`. The catch-up after downtime runs this slot once, however many were missed.
 */
export function previousSlot(expr: string, now: Date, timezone: string, maxDays = 8): Date | null {
  const task = cron.createTask(expr, () => {}, { timezone });
  try {
    const t = new Date(now);
    t.setUTCSeconds(0, 0);
    for (let i = 0; i <= maxDays * 1440; i++) {
      if (task.match(t)) return new Date(t);
      t.setTime(t.getTime() - 60_000);
    }
    return null;
  } finally {
    void task.destroy();
  }
}

/** A tenant's stable offset into each slot: spreads tenants, the same every hour. */
export function jitterMs(tenantId: string, jitterSeconds: number): number {
  if (jitterSeconds <= 0) return 0;
  const h = createHash('sha256').update(tenantId).digest().readUInt32BE(0);
  return h % (jitterSeconds * 1000);
}

/** The slot a tick belongs to (node-cron hands the tick's time; seconds and ms are noise). */
export function slotOf(at: Date): Date {
  const t = new Date(at);
  t.setUTCSeconds(0, 0);
  return t;
}
