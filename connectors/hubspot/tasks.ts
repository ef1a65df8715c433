import { isAppError } from '../../src/core/errors.ts';
import type { RecordFailure, TaskRequest, TaskResult } from '../types.ts';
import type { ConnectorLogger, HubSpotApi } from './api.ts';
import { BatchReply, failureFrom, failuresByKey } from './batch-result.ts';
import { BATCH_SIZE, chunk, info } from './enrich.ts';

/** HubSpot-defined association type for task → deal (CRM-APIS B7). */
export const TASK_TO_DEAL = 216;
const PRIORITY = { high: 'HIGH', normal: 'MEDIUM', low: 'LOW' } as const;

interface Existing {
  id: string;
  completed: boolean;
}

/** The task as HubSpot's tasks API takes it; `hs_timestamp` (the due date) is required. */
export function taskInput(t: TaskRequest, keyField: string): { properties: Record<string, string>; associations: unknown[]; objectWriteTraceId: string } {
  return {
    properties: {
      hs_timestamp: t.dueDate.toISOString(),
      hs_task_subject: t.subject,
      hs_task_body: t.description,
      hs_task_status: 'NOT_STARTED',
      hs_task_priority: PRIORITY[t.priority],
      hs_task_type: 'TODO',
      ...(t.ownerId ? { hubspot_owner_id: t.ownerId } : {}),
      [keyField]: t.key,
    },
    associations: [{ to: { id: t.dealExternalId }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: TASK_TO_DEAL }] }],
    // Lets a batch create report which input failed instead of failing them all.
    objectWriteTraceId: t.key,
  };
}

export class TaskWriter {
  /** False once HubSpot refuses the key property as an idProperty (not unique): search instead. */
  private readByKey = true;

  constructor(
    private readonly api: HubSpotApi,
    private readonly keyField: string,
    private readonly log: ConnectorLogger,
  ) {}

  /** One open task per key: existing keys are reported (open or completed), the rest created. */
  async upsert(tasks: TaskRequest[]): Promise<TaskResult[]> {
    const unique = new Map<string, TaskRequest>();
    for (const t of tasks) if (!unique.has(t.key)) unique.set(t.key, t);
    const existing = await this.lookup([...unique.keys()]);
    const results = new Map<string, TaskResult>();
    for (const [key, e] of existing) results.set(key, { key, ok: true, status: e.completed ? 'completed' : 'open', taskId: e.id });
    const toCreate = [...unique.values()].filter((t) => !existing.has(t.key));
    for (const part of chunk(toCreate, BATCH_SIZE)) for (const r of await this.create(part)) results.set(r.key, r);
    return tasks.map((t) => results.get(t.key)!);
  }

  private async lookup(keys: string[]): Promise<Map<string, Existing>> {
    const out = new Map<string, Existing>();
    for (const part of chunk(keys, BATCH_SIZE)) {
      const found = this.readByKey ? await this.readByIdProperty(part) : null;
      for (const [k, v] of found ?? (await this.search(part))) out.set(k, v);
    }
    return out;
  }

  /** Batch read with the unique key as idProperty: immediately consistent, unlike search. */
  private async readByIdProperty(keys: string[]): Promise<Map<string, Existing> | null> {
    try {
      const r = await this.api.call({ budget: 'standard', op: 'batch read tasks by key', idempotent: true }, async (c) =>
        info(
          await c.crm.objects.tasks.batchApi.readWithHttpInfo(
            { idProperty: this.keyField, inputs: keys.map((id) => ({ id })), properties: [this.keyField, 'hs_task_status'], propertiesWithHistory: [] },
            false,
          ),
        ),
      );
      return this.index(r.data.results as unknown as Array<{ id: string; properties: Record<string, string | null> }>);
    } catch (e) {
      if (isAppError(e) && (e.code === 'crm_record_rejected' || e.code === 'crm_bad_request')) {
        this.log.warn('hubspot task key is not a unique property; looking tasks up by search', { keyField: this.keyField });
        this.readByKey = false;
        return null;
      }
      throw e;
    }
  }

  private async search(keys: string[]): Promise<Map<string, Existing>> {
    const r = await this.api.call({ budget: 'search', op: 'search tasks by key', idempotent: true }, async (c) =>
      info(
        await c.crm.objects.tasks.searchApi.doSearchWithHttpInfo({
          filterGroups: [{ filters: [{ propertyName: this.keyField, operator: 'IN', values: keys }] }],
          properties: [this.keyField, 'hs_task_status'],
          limit: 200,
        } as never),
      ),
    );
    return this.index(r.data.results as unknown as Array<{ id: string; properties: Record<string, string | null> }>);
  }

  private index(rows: Array<{ id: string; properties: Record<string, string | null> }>): Map<string, Existing> {
    const out = new Map<string, Existing>();
    for (const row of rows) {
      const key = row.properties[this.keyField];
      if (!key) continue;
      const completed = row.properties.hs_task_status === 'COMPLETED';
      // Should a key ever match two tasks, an open one is the one that counts.
      const prev = out.get(key);
      if (!prev || (prev.completed && !completed)) out.set(key, { id: row.id, completed });
    }
    return out;
  }

  private async create(tasks: TaskRequest[]): Promise<TaskResult[]> {
    try {
      // Not idempotent: never retried on 5xx. A task created by a lost response is found by key next run.
      const r = await this.api.raw({ budget: 'standard', op: 'batch create tasks', idempotent: false }, {
        method: 'POST',
        path: '/crm/v3/objects/tasks/batch/create',
        body: { inputs: tasks.map((t) => taskInput(t, this.keyField)) },
      });
      const reply = BatchReply.parse(r.data);
      const failed = failuresByKey(reply, 'objectWriteTraceId');
      const created = new Map<string, string>();
      for (const row of reply.results) {
        const key = row.objectWriteTraceId ?? row.properties?.[this.keyField] ?? undefined;
        if (key) created.set(key, row.id);
      }
      return tasks.map((t) => this.outcome(t.key, created.get(t.key), failed.get(t.key)));
    } catch (e) {
      if (!isAppError(e) || tasks.length === 1) return tasks.map((t) => this.failedOrExisting(t.key, e));
      if (e.code === 'crm_record_rejected' || e.code === 'conflict') {
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
    return { key, ok: false, status: 'failed', error: failure ?? { code: 'NO_RESULT', message: 'HubSpot returned no task for this key', retryable: true } };
  }

  private failedOrExisting(key: string, e: unknown): TaskResult {
    if (!isAppError(e)) throw e;
    // The key property is unique: a conflict means the task exists already (made by a concurrent run).
    if (e.code === 'conflict') return { key, ok: true, status: 'open' };
    if (e.code === 'crm_record_rejected' || e.code === 'crm_not_found' || e.code === 'crm_unavailable') {
      return { key, ok: false, status: 'failed', error: failureFrom(e) };
    }
    throw e;
  }
}
