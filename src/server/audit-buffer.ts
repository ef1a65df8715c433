import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';

interface Entry {
  tenant_id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: string;
}

/**
 * API-key use goes to the audit log without a write on the request's path: entries are batched
 * and flushed every second (and on close). Admin actions are written directly, before the
 * response, by the routes that perform them.
 */
export class AuditBuffer {
  private entries: Entry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
    private readonly maxBatch = 500,
  ) {}

  add(tenantId: string, e: { actor: string; action: string; target?: string | null; details?: Record<string, unknown> }, at: Date): void {
    this.entries.push({
      tenant_id: tenantId,
      at,
      actor: e.actor,
      action: e.action,
      target: e.target ?? null,
      details: JSON.stringify(e.details ?? {}),
    });
    if (this.entries.length >= this.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.intervalMs);
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.entries;
    this.entries = [];
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.db.insertInto('audit_log').values(batch).execute();
      } catch (e) {
        this.logger.error('could not write API-key audit entries', { entries: batch.length, error: e });
      }
    });
    await this.flushing;
  }
}
