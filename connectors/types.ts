import type { CurrencyRates } from '../src/core/currency/rates.ts';
import type { Source } from '../src/core/deal.ts';
import type { Mapping, ValueType } from '../src/mapping/schema.ts';

/**
 * A record exactly as the source returned it. Connectors may add derived values under
 * `data._derived` (e.g. HubSpot stage metadata from the pipelines API, Salesforce stage
 * history from OpportunityHistory) so the mapping can reach them by path.
 */
export interface RawRecord {
  /** The source's own id (Salesforce Id, HubSpot hs_object_id, CSV row id). */
  id: string;
  data: Record<string, unknown>;
  /** The source's modification stamp, when it has one (SystemModstamp, hs_lastmodifieddate). */
  modifiedAt: Date | null;
  /** 1-based row number for file sources, for error messages. */
  row?: number;
}

/** A record the source returned but the connector could not read (e.g. a malformed CSV line). */
export interface UnreadableRecord {
  /** What names it: the source's id when known, else its position (`line-51`). */
  id: string;
  row?: number;
  field: string | null;
  reason: string;
}

/** One page of changes. The caller stores it, then persists `cursor`. */
export interface FetchPage {
  records: RawRecord[];
  /** Records that could not be read: the engine rejects each by name and goes on. */
  unreadable?: UnreadableRecord[];
  /** Ids the source reports deleted or archived since the cursor. */
  deletedIds: string[];
  /** Opaque cursor to persist once this page is stored; resuming from it loses nothing. */
  cursor: string | null;
}

/** What changedSince found. */
export interface ChangedIds {
  ids: string[];
  mark: string;
  more: boolean;
}

export interface FetchOptions {
  /** The cursor persisted after the last stored page; null for a first (full) sync. */
  cursor: string | null;
  signal?: AbortSignal;
}

/** The risk values we write into the CRM; the mapping's writeBack section names the fields. */
export interface RiskFields {
  score: number;
  category: 'Low' | 'Medium' | 'High' | 'Critical';
  /** 0..1 */
  winProbability: number;
  drivers: string;
  action: string;
  scoredAt: Date;
  modelStatus: 'ok' | 'experimental' | 'no_signal' | 'low_confidence' | 'prior_only';
}

export interface DealUpdate {
  externalId: string;
  fields: RiskFields;
}

export interface RecordFailure {
  /** The CRM's own error code (e.g. FIELD_CUSTOM_VALIDATION_EXCEPTION, VALIDATION_ERROR). */
  code: string;
  message: string;
  /** True when the same write may succeed on a later run (lock contention, 5xx). */
  retryable: boolean;
}

/** One result per input, in input order. A rejected record never fails the batch. */
export interface WriteResult {
  externalId: string;
  ok: boolean;
  error?: RecordFailure;
}

export interface TaskRequest {
  /** Idempotency key: the same key never yields two tasks (deal id + action id). */
  key: string;
  dealExternalId: string;
  ownerId: string | null;
  subject: string;
  description: string;
  priority: 'high' | 'normal' | 'low';
  dueDate: Date;
}

export interface TaskResult {
  key: string;
  ok: boolean;
  /** created: new task; open: an open task with this key exists; completed: the rep closed it. */
  status: 'created' | 'open' | 'completed' | 'failed';
  taskId?: string;
  error?: RecordFailure;
}

/** What the CRM says of a task we created. */
export interface TaskState {
  taskId: string;
  /** completed: the rep closed it; deleted: it is gone from the CRM; open: neither. */
  status: 'open' | 'completed' | 'deleted';
  /** When the rep completed it, by the CRM's own stamp. */
  completedAt: Date | null;
}

export interface TaskStateQuery {
  /** Our open tasks the caller still follows, by CRM id. */
  taskIds: readonly string[];
  /** The mark the last answer returned (opaque); null the first time. */
  mark: string | null;
  /** Without a mark: when the oldest of those tasks was created (where reading changes starts). */
  since: Date;
}

export interface ApiUsage {
  /** Calls this connector instance made. */
  calls: number;
  /** Answers that said "rate limited" and were waited out, when the connector sees them. */
  rateLimited?: number;
  /** The CRM's own usage counter and limit when it reports them (Sforce-Limit-Info). */
  used?: number;
  limit?: number;
}

export interface SetupReport {
  created: string[];
  existing: string[];
  warnings: string[];
}

/**
 * A field of the source that a mapping may read, as the source itself describes it: for the
 * Settings form's pickers and for checking a mapping's paths against what exists.
 */
export interface SourceField {
  /** The path a mapping's `from` names: `Amount`, `Account.Industry`, `_derived.stage.status`, `accounts.Industry`. */
  name: string;
  /** The source's label ("Opportunity Name"; "Account: Industry" for a related record's field). */
  label: string;
  /** The source's own type name: Salesforce describe's `currency`, HubSpot's `enumeration`, a CSV column's inferred `number`. */
  type: string;
  /** How a mapping reads it (`type:` in the mapping) unless told otherwise. */
  valueType: ValueType;
  /** The object's own field, a field of a record one relationship away, or a value the connector derives. */
  origin: 'field' | 'related' | 'derived';
  /** Picklist or enumeration values, for value maps such as stage.status. */
  options?: string[];
}

/**
 * One adapter per source. Everything provider-specific (base URLs, paging cursors, rate-limit
 * headers, field names) stays behind this interface; the sync engine only sees these calls.
 */
export interface Connector {
  readonly source: Source;
  readonly mapping: Mapping;
  /** Create or verify the fields/properties the mapping's writeBack section names. */
  setup(): Promise<SetupReport>;
  /** Changed records since the cursor, page by page. */
  fetchChanges(opts: FetchOptions): AsyncIterable<FetchPage>;
  /**
   * Named records now, for real-time rescoring of deals a webhook or a change poll reported:
   * those read (enriched as fetchChanges enriches them), and ids the source no longer has
   * (deleted, merged away, or not visible to us) as `deletedIds`. `cursor` is null: reading by id
   * moves no cursor. A connector without it leaves real-time changes to the regular sync.
   */
  fetchByIds?(ids: readonly string[], opts?: { signal?: AbortSignal }): Promise<FetchPage>;
  /**
   * For a source that sends no webhook (Salesforce without change events): ids changed since
   * `mark` (opaque; null starts after the latest change, returning none), and the mark to ask from
   * next time. `more`: more than `limit` changed; none are returned and the mark moves past them,
   * leaving them to the regular sync.
   */
  changedSince?(mark: string | null, limit: number): Promise<ChangedIds>;
  /** Batched write of risk fields; one result per update, in order. */
  writeBack(updates: DealUpdate[]): Promise<WriteResult[]>;
  /** Idempotent task creation keyed by TaskRequest.key; one result per request. */
  upsertTasks(tasks: TaskRequest[]): Promise<TaskResult[]>;
  /**
   * Reads back the tasks we created: those of `taskIds` the CRM now reports completed or gone
   * (changes since `mark` where the CRM can say), and the mark to ask from next time. The sync
   * asks only while it follows open tasks: with none open, no call.
   */
  readTaskStates?(q: TaskStateQuery): Promise<{ states: TaskState[]; mark: string | null }>;
  usage(): ApiUsage;
  /** Link to the record in the CRM's UI, when there is one. */
  recordUrl(externalId: string): string | null;
  /**
   * The fields of the mapped object a mapping may read, with their types: the CRM's describe or
   * properties API plus the `_derived` values the connector adds. Every shipped connector has it;
   * wrappers the sync engine uses (timing, test doubles) may leave it out, as the sync never calls it.
   */
  describeFields?(): Promise<SourceField[]>;
  /**
   * The CRM's corporate currency and exchange rates, for multi-currency accounts (a call or two;
   * the sync asks at most once a run, and only when deals carry more than one currency). Throws
   * `crm_not_found` when the account has a single currency.
   */
  readCurrencyRates?(): Promise<CurrencyRates>;
}

/**
 * The few logger methods a connector calls. The app passes a child of its own logger (winston's
 * fits, already scoped to the tenant and connection); without one a connector logs nothing.
 */
export interface ConnectorLogger {
  debug(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

/** Tokens and connection facts a connector needs; encrypted at rest by the store. */
export interface Credentials {
  accessToken: string;
  refreshToken?: string | null;
  /** Salesforce instance_url; HubSpot API base (sandbox) when not the default. */
  instanceUrl?: string | null;
  expiresAt?: Date | null;
  /** HubSpot portal (hub) id or Salesforce org id. */
  accountId?: string | null;
  /** Host that issued the token and must refresh it (login/test/My Domain, or HubSpot API base). */
  authBaseUrl?: string | null;
  scopes?: string[];
  /** The CRM user the tokens act as (Salesforce: from the token response's identity URL). */
  userId?: string | null;
}

/** How a connector reads and persists its tokens (single-flight refresh is the connector's job). */
export interface CredentialStore {
  load(): Promise<Credentials>;
  save(credentials: Credentials): Promise<void>;
  /** The CRM refused our refresh token: the admin must re-authorize. */
  markNeedsReauth(reason: string): Promise<void>;
}
