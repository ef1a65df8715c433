import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Connector, FetchPage, RiskFields, TaskRequest } from '../../../../connectors/types.ts';
import { AppError, type ErrorCode } from '../../../../src/core/errors.ts';
import { type Mapping, parseMapping } from '../../../../src/mapping/schema.ts';

/**
 * A small CRM whose state lives in one JSON file, so several processes (a worker killed with
 * SIGKILL and its successor) see the same records, writes and tasks. It behaves like the real
 * ones where the sync engine cares: changes since a modification-stamp cursor, page by page;
 * our own write-back bumps the stamp (an echo); tasks are deduplicated by key and remember
 * whether the rep completed them; faults are declared as data.
 */
export interface CrmRecord {
  Id: string;
  Name: string;
  Amount: number;
  Status: 'open' | 'won' | 'lost';
  OwnerId: string;
  OwnerName: string;
  Risk: number;
  CreatedDate: string;
  ClosedDate?: string | null;
  /** The deal's currency (absent: the org's corporate one). */
  CurrencyIsoCode?: string | null;
  /** Risk fields as we last wrote them. */
  written?: RiskFields | null;
}

export interface CrmFault {
  op: 'fetch' | 'write' | 'tasks' | 'byId' | 'changes';
  /** Throw this AppError from the call... */
  error?: { code: ErrorCode; message: string; details?: Record<string, unknown> };
  /** ...or reject these records (write) with this code. */
  rejectIds?: string[];
  retryable?: boolean;
  times?: number;
}

export interface CrmState {
  clock: number;
  records: Record<string, CrmRecord & { modstamp: number }>;
  /** Every risk-field write received, in order (the kill test counts these). */
  writes: Array<{ id: string; score: number; category: string }>;
  tasks: Record<string, { dealId: string; subject: string; status: 'open' | 'completed' }>;
  taskCreates: number;
  /** How many times each task key was asked for (created or found). */
  taskRequests: Record<string, number>;
  faults: CrmFault[];
  /** Calls per operation; `byId` counts reads of named records, `changes` change polls (real time). */
  calls: { fetch: number; write: number; tasks: number; byId?: number; changes?: number };
  /** Whether the connector answers a change poll (changedSince), as a Salesforce connector does. */
  changePoll?: boolean;
}

export const CRM_MAPPING: Mapping = parseMapping(
  {
    source: 'salesforce',
    object: 'Opportunity',
    id: 'Id',
    fields: {
      name: { from: 'Name' },
      amount: { from: 'Amount' },
      currency: { from: 'CurrencyIsoCode' },
      'stage.status': { from: 'Status' },
      'stage.label': { from: 'Status' },
      'owner.id': { from: 'OwnerId' },
      'owner.name': { from: 'OwnerName' },
      createdAt: { from: 'CreatedDate' },
      closedAt: { from: 'ClosedDate' },
      'extras.risk': { from: 'Risk', type: 'number' },
    },
  },
  'file-crm mapping',
);

export class FileCrm {
  constructor(readonly file: string) {
    if (!existsSync(file))
      this.save({
        clock: 0,
        records: {},
        writes: [],
        tasks: {},
        taskCreates: 0,
        taskRequests: {},
        faults: [],
        calls: { fetch: 0, write: 0, tasks: 0 },
      });
  }

  read(): CrmState {
    return JSON.parse(readFileSync(this.file, 'utf8')) as CrmState;
  }

  private save(s: CrmState): void {
    // Write-then-rename: a SIGKILL mid-write never leaves half a file.
    writeFileSync(`${this.file}.tmp`, JSON.stringify(s));
    renameSync(`${this.file}.tmp`, this.file);
  }

  private update<T>(fn: (s: CrmState) => T): T {
    const s = this.read();
    const out = fn(s);
    this.save(s);
    return out;
  }

  /** A rep edits (or creates) a deal: its stamp moves. */
  put(...recs: Array<Partial<CrmRecord> & { Id: string }>): void {
    this.update((s) => {
      for (const r of recs) {
        const prev = s.records[r.Id];
        const defaults = {
          Name: `Deal ${r.Id}`,
          Amount: 10_000,
          Status: 'open',
          OwnerId: 'u1',
          OwnerName: 'Ada',
          Risk: 30,
          CreatedDate: '2026-10-01T00:00:00Z',
        };
        s.records[r.Id] = { ...defaults, ...prev, ...r, modstamp: ++s.clock } as CrmState['records'][string];
      }
    });
  }

  /** From now on the connector answers change polls (changedSince), as Salesforce's does. */
  enableChangePoll(): void {
    this.update((s) => {
      s.changePoll = true;
    });
  }

  fault(f: CrmFault): void {
    this.update((s) => void s.faults.push({ times: 1, ...f }));
  }

  completeTask(key: string): void {
    this.update((s) => {
      s.tasks[key]!.status = 'completed';
    });
  }

  /** Counts a call and takes the fault declared for it, if any (persisted before it is thrown). */
  private call(op: CrmFault['op']): CrmFault | null {
    return this.update((s) => {
      s.calls[op] = (s.calls[op] ?? 0) + 1;
      return this.takeFault(s, op);
    });
  }

  private takeFault(s: CrmState, op: CrmFault['op']): CrmFault | null {
    const i = s.faults.findIndex((f) => f.op === op);
    if (i < 0) return null;
    const f = s.faults[i]!;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) s.faults.splice(i, 1);
    return f;
  }

  connector(opts: { pageSize?: number; mapping?: Mapping } = {}): Connector {
    const pageSize = opts.pageSize ?? 50;
    let calls = 0;
    const crm = this;
    const raise = (f: CrmFault | null) => {
      if (!f?.error) return;
      // Faults are stored as JSON: a pause's end comes back as the Date connectors throw.
      const { pausedUntil, ...details } = f.error.details ?? {};
      throw new AppError(f.error.code, f.error.message, {
        ...details,
        ...(typeof pausedUntil === 'string' ? { pausedUntil: new Date(pausedUntil) } : {}),
      });
    };
    return {
      source: 'salesforce',
      mapping: opts.mapping ?? CRM_MAPPING,
      setup: async () => ({ created: [], existing: [], warnings: [] }),
      async *fetchChanges({ cursor }): AsyncIterable<FetchPage> {
        let after = cursor ? Number(cursor) : 0;
        for (;;) {
          calls++;
          raise(crm.call('fetch'));
          const page = crm.update((s) => {
            return Object.values(s.records)
              .filter((r) => r.modstamp > after)
              .sort((a, b) => a.modstamp - b.modstamp)
              .slice(0, pageSize);
          });
          if (page.length === 0) return;
          after = page[page.length - 1]!.modstamp;
          yield {
            records: page.map(({ written: _w, modstamp, ...data }) => ({
              id: data.Id,
              data,
              modifiedAt: new Date(Date.UTC(2026, 0, 1) + modstamp * 1000),
            })),
            deletedIds: [],
            cursor: String(after),
          };
          if (page.length < pageSize) return;
        }
      },
      async fetchByIds(ids) {
        calls++;
        raise(crm.call('byId'));
        const s = crm.read();
        const found = ids.flatMap((id) => (s.records[id] ? [s.records[id]] : []));
        return {
          records: found.map(({ written: _w, modstamp, ...data }) => ({
            id: data.Id,
            data,
            modifiedAt: new Date(Date.UTC(2026, 0, 1) + modstamp * 1000),
          })),
          deletedIds: ids.filter((id) => !s.records[id]),
          cursor: null,
        };
      },
      // Like Salesforce's: a mark is the stamp after the last change seen; none starts from now.
      ...(crm.read().changePoll
        ? {
            async changedSince(mark: string | null, limit: number) {
              calls++;
              raise(crm.call('changes'));
              const s = crm.read();
              const latest = String(s.clock);
              if (mark === null) return { ids: [], mark: latest, more: false };
              const ids = Object.values(s.records)
                .filter((r) => r.modstamp > Number(mark))
                .map((r) => r.Id);
              return ids.length > limit ? { ids: [], mark: latest, more: true } : { ids, mark: latest, more: false };
            },
          }
        : {}),
      async writeBack(updates) {
        calls += Math.ceil(updates.length / 200);
        const f = crm.call('write');
        raise(f);
        return crm.update((s) => {
          return updates.map((u) => {
            if (f?.rejectIds?.includes(u.externalId)) {
              return {
                externalId: u.externalId,
                ok: false,
                error: {
                  code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
                  message: 'rejected by a validation rule',
                  retryable: f.retryable ?? false,
                },
              };
            }
            const r = s.records[u.externalId];
            if (!r)
              return {
                externalId: u.externalId,
                ok: false,
                error: { code: 'ENTITY_IS_DELETED', message: 'no such record', retryable: false },
              };
            r.written = u.fields;
            r.modstamp = ++s.clock; // our own write bumps the stamp: the next fetch sees an echo
            s.writes.push({ id: u.externalId, score: u.fields.score, category: u.fields.category });
            return { externalId: u.externalId, ok: true };
          });
        });
      },
      async upsertTasks(tasks: TaskRequest[]) {
        calls++;
        raise(crm.call('tasks'));
        return crm.update((s) => {
          return tasks.map((t) => {
            s.taskRequests[t.key] = (s.taskRequests[t.key] ?? 0) + 1;
            const existing = s.tasks[t.key];
            if (existing) return { key: t.key, ok: true, status: existing.status };
            s.tasks[t.key] = { dealId: t.dealExternalId, subject: t.subject, status: 'open' };
            s.taskCreates++;
            return { key: t.key, ok: true, status: 'created' as const, taskId: `T${s.taskCreates}` };
          });
        });
      },
      usage: () => ({ calls }),
      recordUrl: (id) => `https://crm.example.test/deals/${id}`,
    };
  }
}
