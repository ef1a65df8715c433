import { AppError } from '../../src/core/errors.ts';
import { type Mapping, sourcePaths } from '../../src/mapping/schema.ts';
import { silentLogger } from '../silent-logger.ts';
import type {
  ApiUsage,
  ChangedIds,
  Connector,
  ConnectorLogger,
  CredentialStore,
  DealUpdate,
  FetchOptions,
  FetchPage,
  SetupReport,
  SourceField,
  TaskRequest,
  TaskResult,
  WriteResult,
} from '../types.ts';
import { SalesforceApi } from './api.ts';
import type { BulkOptions } from './bulk-query.ts';
import { changedOpportunityIds, fetchOpportunitiesById } from './by-id.ts';
import { readSalesforceRates } from './currency-rates.ts';
import { describeSalesforceFields } from './describe-fields.ts';
import { fetchChanges } from './fetch-changes.ts';
import type { FieldShape } from './format-values.ts';
import { HistoryEnricher } from './history.ts';
import { Meter } from './meter.ts';
import { salesforceRecordUrl } from './record-url.ts';
import { openSession } from './session.ts';
import { setupOrg } from './setup.ts';
import { readSalesforceTaskStates } from './task-states.ts';
import { upsertRiskTasks } from './tasks.ts';
import { writeRiskFields } from './write-back.ts';

export * from './oauth.ts';
export { salesforceRecordUrl } from './record-url.ts';
export { toAppError } from './to-app-error.ts';

export const DEFAULT_API_VERSION = '66.0';
export const DEFAULT_TASK_KEY_FIELD = 'Risk_Task_Key__c';

export interface SalesforceConnectorOptions {
  tenantId: string;
  mapping: Mapping;
  credentials: CredentialStore;
  /** External Client App consumer key and secret (for token refresh). */
  clientId: string;
  clientSecret: string;
  /** Salesforce API version, e.g. '66.0' (jsforce would default to 50.0). */
  apiVersion?: string;
  /** Login host when the stored credentials do not name one: production, sandbox or My Domain URL. */
  loginUrl?: string;
  /** Share of the org's daily API allocation this connection may use (default 0.2). */
  budgetShare?: number;
  /** Share of the allocation always left to the org's other clients (default 0.05). */
  orgReserve?: number;
  /** Calls this connection already made in the rolling 24 h window (from earlier run records). */
  windowCalls?: number;
  /** First sync above this many opportunities uses Bulk API 2.0 (default 10,000; -1 never). */
  bulkThreshold?: number;
  /** Incremental queries start this far before the cursor (late commits; default 5 min). */
  overlapMs?: number;
  /** Read OpportunityStage/History/Task/ContactRole for point-in-time features (default true). */
  history?: boolean;
  bulk?: Partial<BulkOptions>;
  logger?: ConnectorLogger;
}

export interface SalesforceConnector extends Connector {
  readonly source: 'salesforce';
  /** Degradations seen so far (fields dropped, history sources skipped), for the run record. */
  readonly warnings: readonly string[];
  readonly instanceUrl: string;
  readonly apiVersion: string;
  /** The mapped object's fields (describe), its related records' fields one level away, `_derived`. */
  describeFields(): Promise<SourceField[]>;
}

const DEFAULT_BULK: BulkOptions = { pollIntervalMs: 2000, maxPollIntervalMs: 15_000, timeoutMs: 30 * 60_000, resultPageSize: 10_000 };

function checkShare(name: string, v: number): number {
  if (!(v > 0 && v <= 1)) throw new AppError('config_invalid', `${name} must be in (0, 1], got ${v}`, { path: name });
  return v;
}

/**
 * A Salesforce connector for one tenant's org. Loads the stored credentials (no API call);
 * every later call goes to the org's instance_url with the configured API version.
 *
 * Errors: calls throw AppError. `crm_auth_revoked` (the CredentialStore was told to mark the
 * connection for re-authorization) and `crm_quota_exhausted` (retryable: pause the tenant until
 * the next window) stop the run; writeBack and upsertTasks attach `details.results` (one per
 * input) to those two. Any other failure of a write comes back as a per-record result.
 */
export async function createSalesforceConnector(o: SalesforceConnectorOptions): Promise<SalesforceConnector> {
  if (o.mapping.source !== 'salesforce') {
    throw new AppError('mapping_invalid', `Salesforce connector needs a salesforce mapping, got source "${o.mapping.source}"`, {
      path: 'source',
    });
  }
  const apiVersion = o.apiVersion ?? DEFAULT_API_VERSION;
  if (!/^\d{2,3}\.0$/.test(apiVersion))
    throw new AppError('config_invalid', `Salesforce API version must look like 66.0, got "${apiVersion}"`, { path: 'apiVersion' });
  // The caller's logger already names the tenant and connection (make-connector.ts).
  const logger = o.logger ?? silentLogger;
  const meter = new Meter({
    budgetShare: checkShare('budgetShare', o.budgetShare ?? 0.2),
    orgReserve: o.orgReserve ?? 0.05,
    windowCalls: o.windowCalls ?? 0,
  });
  const session = await openSession({ ...o, apiVersion, logger, meter });
  const api = new SalesforceApi(session, meter, o.credentials, logger);
  const warnings: string[] = [];
  const warn = (message: string): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    logger.warn('salesforce degraded', { warning: message });
  };
  const writeBackSpec = o.mapping.writeBack;
  const keyField = writeBackSpec?.tasks.keyField ?? DEFAULT_TASK_KEY_FIELD;
  const enricher = new HistoryEnricher(api, writeBackSpec?.tasks.enabled === false ? null : keyField, o.history ?? true, logger, warn);

  let shapes: Map<string, FieldShape> | null = null;
  const fieldShapes = async (): Promise<ReadonlyMap<string, FieldShape>> => {
    if (!shapes) {
      const d = await api.call((c) => c.describe(writeBackSpec!.object));
      shapes = new Map((d.fields as FieldShape[]).map((f) => [f.name, f]));
    }
    return shapes;
  };
  const needWriteBack = () => {
    if (!writeBackSpec)
      throw new AppError('mapping_invalid', `tenant ${o.tenantId}: the Salesforce mapping has no writeBack section`, { path: 'writeBack' });
    return writeBackSpec;
  };

  return {
    source: 'salesforce',
    mapping: o.mapping,
    apiVersion,
    get warnings() {
      return warnings;
    },
    get instanceUrl() {
      return session.instanceUrl();
    },
    async setup(): Promise<SetupReport> {
      return setupOrg(api, needWriteBack(), logger, (fields) => {
        shapes = new Map(fields.map((f) => [f.name, f]));
      });
    },
    fetchChanges(opts: FetchOptions): AsyncIterable<FetchPage> {
      return fetchChanges(
        {
          api,
          enricher,
          paths: sourcePaths(o.mapping),
          overlapMs: o.overlapMs ?? 5 * 60_000,
          bulkThreshold: o.bulkThreshold ?? 10_000,
          bulk: { ...DEFAULT_BULK, ...o.bulk },
          log: logger,
          warn,
        },
        opts,
      );
    },
    fetchByIds(ids: readonly string[], opts: { signal?: AbortSignal } = {}): Promise<FetchPage> {
      return fetchOpportunitiesById({ api, enricher, paths: sourcePaths(o.mapping), warn }, ids, opts.signal);
    },
    changedSince(mark: string | null, limit: number): Promise<ChangedIds> {
      return changedOpportunityIds(api, mark, limit);
    },
    async writeBack(updates: DealUpdate[]): Promise<WriteResult[]> {
      return writeRiskFields(api, needWriteBack(), fieldShapes, updates, logger);
    },
    upsertTasks(tasks: TaskRequest[]): Promise<TaskResult[]> {
      return upsertRiskTasks(api, keyField, tasks, logger);
    },
    readTaskStates: (q) => readSalesforceTaskStates(api, keyField, q),
    describeFields(): Promise<SourceField[]> {
      return describeSalesforceFields(api, o.mapping.object, new Set(Object.values(writeBackSpec?.fields ?? {})), warn);
    },
    readCurrencyRates: () => readSalesforceRates(api),
    usage(): ApiUsage {
      return { calls: meter.calls, ...(meter.usage ? { used: meter.usage.used, limit: meter.usage.limit } : {}) };
    },
    recordUrl(externalId: string): string | null {
      return salesforceRecordUrl(session.instanceUrl(), externalId, writeBackSpec?.object);
    },
  };
}
