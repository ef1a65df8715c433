import { isAppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, RecordFailure, TaskRequest, TaskResult } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { readAssociations } from './associations.ts';
import { BatchReply, failureFrom, failuresByKey } from './batch-result.ts';
import { BATCH_READ_SIZE, BATCH_SIZE, chunk, info } from './batching.ts';
import { clip, TEXT_MAX } from './text-limit.ts';

/** HubSpot-defined association type for task → deal (CRM-APIS B7). */
export const TASK_TO_DEAL = 216;
/** The unique task property earlier versions created; its value still identifies their tasks. */
export const LEGACY_TASK_KEY = 'risk_task_key';
const PRIORITY = { high: 'HIGH', normal: 'MEDIUM', low: 'LOW' } as const;

/*
 * A task carries its idempotency key on the last line of its body (`hs_task_body`, a standard
 * property), and is found again through its deal's task associations. A custom unique task
 * property would be simpler, but creating one needs a scope no HubSpot spec or page names for
 * tasks (docs/hubspot.md), while these calls need only the scopes the tasks and associations
 * specs list. The key is percent-encoded (":" kept) so rich-text handling cannot alter it.
 */
const KEY_MARK = /\[dealrisk-key:([A-Za-z0-9%._~:-]+)\]/;

export function keyMarker(key: string): string {
  const safe = encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%3A/g, ':');
  return `[dealrisk-key:${safe}]`;
}

/** The key a task body carries, or null (a rep's own task, or a marker someone edited away). */
export function keyInBody(body: string | null | undefined): string | null {
  const m = body ? KEY_MARK.exec(body) : null;
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    // A damaged escape is not our marker.
    return null;
  }
}

/**
 * The task as HubSpot's tasks API takes it; `hs_timestamp` (the due date) is required. Subject and
 * body are text properties: a deal name may fill one, so both are clipped, the body before its key.
 */
export function taskInput(t: TaskRequest): { properties: Record<string, string>; associations: unknown[]; objectWriteTraceId: string } {
  const marker = keyMarker(t.key);
  return {
    properties: {
      hs_timestamp: t.dueDate.toISOString(),
      hs_task_subject: clip(t.subject),
      hs_task_body: `${clip(t.description, TEXT_MAX - marker.length - 2)}\n\n${marker}`,
      hs_task_status: 'NOT_STARTED',
      hs_task_priority: PRIORITY[t.priority],
      hs_task_type: 'TODO',
      ...(t.ownerId ? { hubspot_owner_id: t.ownerId } : {}),
    },
    associations: [{ to: { id: t.dealExternalId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: TASK_TO_DEAL }] }],
    // Lets a batch create report which input failed instead of failing them all.
    objectWriteTraceId: t.key,
  };
}

interface Existing {
  id: string;
  completed: boolean;
}

type TaskRow = { id: string; properties: Record<string, string | null> };

export class TaskWriter {
  constructor(
    private readonly api: HubSpotApi,
    /** Earlier versions' unique key property (the mapping's `tasks.keyField`): read when a portal has it. */
    private readonly legacyKeyField: string,
    private readonly log: ConnectorLogger,
  ) {}

  /** One open task per key: existing keys are reported (open or completed), the rest created. */
  async upsert(tasks: TaskRequest[]): Promise<TaskResult[]> {
    const unique = new Map<string, TaskRequest>();
    for (const t of tasks) if (!unique.has(t.key)) unique.set(t.key, t);
    const existing = await this.existing([...unique.values()]);
    const results = new Map<string, TaskResult>();
    for (const [key, e] of existing)
      if (unique.has(key)) results.set(key, { key, ok: true, status: e.completed ? 'completed' : 'open', taskId: e.id });
    const toCreate = [...unique.values()].filter((t) => !existing.has(t.key));
    for (const part of chunk(toCreate, BATCH_SIZE)) for (const r of await this.create(part)) results.set(r.key, r);
    return tasks.map((t) => results.get(t.key)!);
  }

  /** The keyed tasks on these deals: their task associations, then the tasks themselves (both read-after-write consistent, unlike search). */
  private async existing(tasks: TaskRequest[]): Promise<Map<string, Existing>> {
    const links = await readAssociations(
      this.api,
      'deals',
      'tasks',
      tasks.map((t) => t.dealExternalId),
      'batch read deal tasks',
    );
    const taskIds = [...new Set([...links.values()].flat().map((l) => l.id))];
    const out = new Map<string, Existing>();
    for (const part of chunk(taskIds, BATCH_READ_SIZE)) {
      const r = await this.api.call({ budget: 'standard', op: 'batch read tasks', idempotent: true }, async (c) =>
        info(
          await c.crm.objects.tasks.batchApi.readWithHttpInfo(
            {
              inputs: part.map((id) => ({ id })),
              properties: ['hs_task_body', 'hs_task_status', this.legacyKeyField],
              propertiesWithHistory: [],
            },
            false,
          ),
        ),
      );
      for (const row of r.data.results as unknown as TaskRow[]) {
        const key = keyInBody(row.properties.hs_task_body) ?? row.properties[this.legacyKeyField] ?? null;
        if (!key) continue;
        const completed = row.properties.hs_task_status === 'COMPLETED';
        // Should a key ever match two tasks, an open one is the one that counts.
        const prev = out.get(key);
        if (!prev || (prev.completed && !completed)) out.set(key, { id: row.id, completed });
      }
    }
    return out;
  }

  private async create(tasks: TaskRequest[]): Promise<TaskResult[]> {
    try {
      // Not idempotent: never retried on 5xx. A task created by a lost response is found through its deal next run.
      const r = await this.api.raw(
        { budget: 'standard', op: 'batch create tasks', idempotent: false },
        {
          method: 'POST',
          path: '/crm/v3/objects/tasks/batch/create',
          body: { inputs: tasks.map(taskInput) },
        },
      );
      const reply = BatchReply.parse(r.data);
      const failed = failuresByKey(reply, 'objectWriteTraceId');
      const created = new Map<string, string>();
      for (const row of reply.results) {
        const key = row.objectWriteTraceId ?? keyInBody(row.properties?.hs_task_body) ?? undefined;
        if (key) created.set(key, row.id);
      }
      return tasks.map((t) => this.outcome(t.key, created.get(t.key), failed.get(t.key)));
    } catch (e) {
      if (!isAppError(e) || tasks.length === 1) return tasks.map((t) => this.failed(t.key, e));
      if (e.code === 'crm_record_rejected') {
        // One task refused the whole batch: create them one by one so the others still land.
        this.log.info('hubspot batch task create refused, creating one by one', { size: tasks.length, code: e.code });
        const out: TaskResult[] = [];
        for (const t of tasks) out.push(...(await this.create([t])));
        return out;
      }
      throw e;
    }
  }

  private outcome(key: string, taskId: string | undefined, failure: RecordFailure | undefined): TaskResult {
    if (taskId) return { key, ok: true, status: 'created', taskId };
    return {
      key,
      ok: false,
      status: 'failed',
      error: failure ?? { code: 'NO_RESULT', message: 'HubSpot returned no task for this key', retryable: true },
    };
  }

  private failed(key: string, e: unknown): TaskResult {
    if (!isAppError(e)) throw e;
    if (e.code === 'crm_record_rejected' || e.code === 'crm_not_found' || e.code === 'crm_unavailable' || e.code === 'conflict') {
      return { key, ok: false, status: 'failed', error: failureFrom(e) };
    }
    throw e;
  }
}
