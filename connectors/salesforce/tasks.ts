import { AppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, TaskRequest, TaskResult } from '../types.ts';
import type { SalesforceApi } from './api.ts';
import { truncate } from './format-values.ts';
import { chunkForUri, ownersQuery, tasksByKeyQuery } from './soql.ts';
import { COLLECTION_MAX, recordFailure, requestFailure, type SaveResult, STOPS_RUN, stopWithResults } from './write-back.ts';

/** Keys per lookup query at most; fewer when long keys would pass the URI limit (chunkForUri). */
const KEYS_PER_QUERY = 100;
const SUBJECT_MAX = 255;
const DESCRIPTION_MAX = 32000;

interface ExistingTask {
  Id: string;
  IsClosed: boolean;
  IsDeleted: boolean;
  [key: string]: unknown;
}

const PRIORITY = { high: 'High', normal: 'Normal', low: 'Low' } as const;

const dateOnly = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Creates follow-up Tasks idempotently by key: existing tasks are looked up by the key field
 * first (queryAll, so closed-then-archived and deleted tasks count), a task the rep closed or
 * deleted is reported `completed` and never recreated, and only missing keys are created.
 * The key field is unique, so a concurrent duplicate is refused by Salesforce (DUPLICATE_VALUE)
 * and reported `open`.
 */
export async function upsertRiskTasks(
  api: SalesforceApi,
  keyField: string,
  tasks: readonly TaskRequest[],
  log: ConnectorLogger,
): Promise<TaskResult[]> {
  if (!tasks.length) return [];
  let existing: Map<string, ExistingTask>;
  try {
    existing = await findByKey(api, keyField, [...new Set(tasks.map((t) => t.key))]);
  } catch (e) {
    const err = e as AppError;
    if (STOPS_RUN.has(err.code))
      throw stopWithResults(
        err,
        [],
        tasks.map((t) => failed(t.key, err)),
      );
    if (err.details.sfCode === 'INVALID_FIELD') {
      const f = {
        code: 'INVALID_FIELD',
        message: `Task.${keyField} is missing or hidden from the integration user; run setup`,
        retryable: false,
      };
      return tasks.map((t) => ({ key: t.key, ok: false, status: 'failed' as const, error: f }));
    }
    return tasks.map((t) => failed(t.key, err));
  }

  const results = new Map<number, TaskResult>();
  const toCreate: Array<{ index: number; task: TaskRequest }> = [];
  const requested = new Set<string>();
  tasks.forEach((t, index) => {
    const found = existing.get(t.key);
    if (found)
      results.set(index, { key: t.key, ok: true, status: found.IsClosed || found.IsDeleted ? 'completed' : 'open', taskId: found.Id });
    else if (requested.has(t.key)) results.set(index, { key: t.key, ok: true, status: 'open' });
    else {
      requested.add(t.key);
      toCreate.push({ index, task: t });
    }
  });

  let owners: Map<string, string>;
  try {
    owners = await ownersFor(
      api,
      toCreate.map((c) => c.task),
      log,
    );
  } catch (e) {
    for (const { index, task } of toCreate) results.set(index, failed(task.key, e as AppError));
    throw stopWithResults(
      e as AppError,
      tasks.map((_, k) => results.get(k)!),
      [],
    );
  }
  for (let i = 0; i < toCreate.length; i += COLLECTION_MAX) {
    const chunk = toCreate.slice(i, i + COLLECTION_MAX);
    const records = chunk.map(({ task }) => taskRecord(task, keyField, task.ownerId ?? owners.get(task.dealExternalId) ?? null));
    let saved: SaveResult[];
    try {
      saved = await api.call((c) => c.sobject('Task').create(records, { allOrNone: false }) as Promise<SaveResult[]>);
    } catch (e) {
      const err = e as AppError;
      if (STOPS_RUN.has(err.code)) {
        for (const { index, task } of toCreate.slice(i)) results.set(index, failed(task.key, err));
        throw stopWithResults(
          err,
          tasks.map((_, k) => results.get(k)!),
          [],
        );
      }
      for (const { index, task } of chunk) results.set(index, failed(task.key, err));
      continue;
    }
    chunk.forEach(({ index, task }, j) => {
      const r = saved[j];
      if (r?.success) results.set(index, { key: task.key, ok: true, status: 'created', taskId: r.id });
      else if (r?.errors?.[0]?.statusCode === 'DUPLICATE_VALUE') results.set(index, { key: task.key, ok: true, status: 'open' });
      else
        results.set(index, {
          key: task.key,
          ok: false,
          status: 'failed',
          error: r ? recordFailure(r) : { code: 'NO_RESULT', message: 'no result', retryable: true },
        });
    });
  }
  return tasks.map((_, k) => results.get(k)!);
}

function failed(key: string, err: AppError): TaskResult {
  return { key, ok: false, status: 'failed', error: requestFailure(err) };
}

export function taskRecord(t: TaskRequest, keyField: string, ownerId: string | null): Record<string, unknown> {
  return {
    WhatId: t.dealExternalId,
    ...(ownerId ? { OwnerId: ownerId } : {}),
    Subject: truncate(t.subject, SUBJECT_MAX).text,
    Description: truncate(t.description, DESCRIPTION_MAX).text,
    Priority: PRIORITY[t.priority],
    ActivityDate: dateOnly(t.dueDate),
    Status: 'Not Started',
    TaskSubtype: 'Task',
    [keyField]: t.key,
  };
}

async function findByKey(api: SalesforceApi, keyField: string, keys: string[]): Promise<Map<string, ExistingTask>> {
  const out = new Map<string, ExistingTask>();
  for (const chunk of chunkForUri(keys, KEYS_PER_QUERY, (c) => tasksByKeyQuery(keyField, c))) {
    const rows = await api.queryRows<ExistingTask>(tasksByKeyQuery(keyField, chunk), { all: true });
    for (const r of rows) {
      const key = String(r[keyField]);
      const prev = out.get(key);
      // An open task wins over a closed or deleted one with the same key.
      if (!prev || ((prev.IsClosed || prev.IsDeleted) && !(r.IsClosed || r.IsDeleted))) out.set(key, r);
    }
  }
  return out;
}

/** Opportunity owners for tasks whose request did not name one (one query per 200 deals). */
async function ownersFor(api: SalesforceApi, tasks: readonly TaskRequest[], log: ConnectorLogger): Promise<Map<string, string>> {
  const ids = [...new Set(tasks.filter((t) => !t.ownerId).map((t) => t.dealExternalId))];
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += COLLECTION_MAX) {
    try {
      const rows = await api.queryRows<{ Id: string; OwnerId: string }>(ownersQuery(ids.slice(i, i + COLLECTION_MAX)));
      for (const r of rows) out.set(r.Id, r.OwnerId);
    } catch (e) {
      if (e instanceof AppError && STOPS_RUN.has(e.code)) throw e;
      // Without the owner the task goes to the integration user: still better than no task.
      log.warn('salesforce opportunity owners not read', { code: (e as AppError).code });
    }
  }
  return out;
}
