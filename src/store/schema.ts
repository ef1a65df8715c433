import type { ColumnType, Generated, JSONColumnType } from 'kysely';

/** timestamptz: Date in, Date out (strings accepted on write). */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type Json<T extends object | null> = JSONColumnType<T, string, string>;

export interface TenantsTable {
  id: string;
  name: string;
  /** Tenant-adjustable settings (thresholds, schedule, alerts, playbook override, ...). */
  settings: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface MappingOverridesTable {
  tenant_id: string;
  source: string;
  document: Json<Record<string, unknown>>;
  updated_at: Timestamp;
  updated_by: string | null;
}

export interface ConnectionsTable {
  id: string;
  tenant_id: string;
  crm: 'salesforce' | 'hubspot' | 'csv';
  /** Salesforce org id or HubSpot portal (hub) id. */
  account_id: string | null;
  instance_url: string | null;
  /** active | needs_reauth | paused | disconnected */
  status: string;
  status_reason: string | null;
  /** AES-256-GCM sealed JSON of Credentials. */
  credentials: string | null;
  /** The last stored page's cursor: resuming from it loses nothing. */
  cursor: string | null;
  paused_until: Timestamp | null;
  last_sync_at: Timestamp | null;
  settings: Json<Record<string, unknown>>;
  /** 0009: where the change poll resumes (the connector's opaque mark), and when it last ran. */
  changes_mark: string | null;
  changes_polled_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DealsTable {
  tenant_id: string;
  source: string;
  external_id: string;
  connection_id: string | null;
  /** The canonical Deal as JSON (dates as ISO strings). */
  data: Json<Record<string, unknown>>;
  /** The record as the source sent it. */
  raw: Json<Record<string, unknown>> | null;
  input_hash: string;
  status: 'open' | 'won' | 'lost';
  amount: number | null;
  owner_id: string | null;
  owner_name: string | null;
  created_at: Timestamp | null;
  closed_at: Timestamp | null;
  modified_at: Timestamp | null;
  deleted_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface DealSnapshotsTable {
  id: Generated<number>;
  tenant_id: string;
  source: string;
  external_id: string;
  taken_at: Timestamp;
  input_hash: string;
  data: Json<Record<string, unknown>>;
}

export interface ScoresTable {
  id: Generated<number>;
  tenant_id: string;
  source: string;
  external_id: string;
  model_id: number | null;
  scored_at: Timestamp;
  score: number;
  category: string;
  win_probability: number;
  model_status: string;
  input_hash: string;
  /** Drivers, actions, confidence, similar deals: the full per-deal explanation. */
  detail: Json<Record<string, unknown>>;
  /** The risk change ledger's trace (ScoreTrace); null on scores written before migration 0013. */
  trace: Json<Record<string, unknown>> | null;
}

export interface ModelsTable {
  id: Generated<number>;
  tenant_id: string;
  version: number;
  status: string;
  active: boolean;
  trained_at: Timestamp;
  /** The serialized model (weights, encodings, calibration). */
  payload: Json<Record<string, unknown>>;
  /** Backtest report: AUC and interval, log-loss vs prior, calibration, dropped features. */
  report: Json<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface SyncRunsTable {
  id: Generated<number>;
  tenant_id: string;
  connection_id: string | null;
  trigger: string;
  status: 'running' | 'succeeded' | 'failed' | 'partial' | 'paused';
  started_at: Timestamp;
  finished_at: Timestamp | null;
  counts: Json<Record<string, number>>;
  api_calls: number;
  errors: Json<Array<Record<string, unknown>>>;
  /** Added by 0002-sync. */
  duration_ms: number | null;
  /** Rejected records with reasons (the first ones; counts.rejected has the total). */
  rejected: ColumnType<Array<Record<string, unknown>>, string | undefined, string>;
  /** Per-step timing, model decision, drift, cursor. */
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  /** The worker that ran it. */
  holder: string | null;
}

export interface WritebacksTable {
  id: Generated<number>;
  tenant_id: string;
  connection_id: string | null;
  source: string;
  external_id: string;
  /** 'fields' (risk values) or 'task'. */
  kind: 'fields' | 'task';
  /** Idempotency key: one pending/sent row per key. */
  key: string;
  payload: Json<Record<string, unknown>>;
  status: 'pending' | 'sent' | 'failed' | 'dead';
  attempts: number;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
  /** Added by 0002-sync: when a failed write may be tried again. */
  next_attempt_at: Timestamp | null;
  updated_at: Timestamp | null;
  /** The CRM's answer (task id, error code). */
  result: Json<Record<string, unknown>> | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  tenant_id: string;
  at: Timestamp;
  actor: string;
  action: string;
  target: string | null;
  details: Json<Record<string, unknown>>;
}

/** 0006: CRM webhook events already handled (de-duplication across processes and restarts). */
export interface WebhookEventsTable {
  /** The CRM that sent it: hubspot. */
  source: string;
  /** What identifies one event across HubSpot's retries (see connectors/hubspot/http-handlers.ts). */
  event_key: string;
  claimed_at: Timestamp;
  /** After this the event may be handled again (HubSpot retries for at most a day). */
  expires_at: Timestamp;
}

/** 0002-sync: one row per tenant with the worker lease and schedule bookkeeping. */
export interface TenantSyncTable {
  tenant_id: string;
  lease_holder: string | null;
  lease_until: Timestamp | null;
  last_slot_at: Timestamp | null;
  requested_at: Timestamp | null;
  requested_by: string | null;
  /** Local date (yyyy-mm-dd) of the last digest sent. */
  last_digest_on: string | null;
  last_purge_at: Timestamp | null;
  drift: Json<Record<string, unknown>> | null;
  /** Last training attempt (accepted or not) and its gate decision. */
  last_train_at: Timestamp | null;
  last_train: Json<Record<string, unknown>> | null;
}

/** 0002-sync: what the sync engine knows about each deal's score, write-back and alerts. */
export interface DealSyncStateTable {
  tenant_id: string;
  source: string;
  external_id: string;
  /** deals.input_hash when it was scored: a different hash means rescore. */
  scored_hash: string;
  scored_at: Timestamp;
  model_id: number | null;
  score: number;
  category: string;
  model_status: string;
  /** The risk fields and task requests to write. */
  risk: Json<Record<string, unknown>>;
  /** Hash of the written values (score, category, drivers, action, status). */
  values_hash: string;
  /** values_hash as last queued for the CRM; differs → write. */
  written_hash: string | null;
  written_at: Timestamp | null;
  alert_due_at: Timestamp | null;
  last_alert_at: Timestamp | null;
}

export interface DeliveriesTable {
  id: Generated<number>;
  tenant_id: string;
  /** alert | digest */
  kind: string;
  /** slack | email */
  channel: string;
  key: string;
  payload: Json<Record<string, unknown>>;
  status: 'pending' | 'sent' | 'failed' | 'dead';
  attempts: number;
  last_error: string | null;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface AlertsTable {
  id: Generated<number>;
  tenant_id: string;
  source: string;
  external_id: string;
  kind: string;
  raised_at: Timestamp;
  score: number;
  payload: Json<Record<string, unknown>>;
}

export interface RescoreQueueTable {
  tenant_id: string;
  source: string;
  external_id: string;
  requested_at: Timestamp;
  /** What queued the deal: 'webhook' (the CRM told us) or 'poll' (our change poll asked it). */
  origin: ColumnType<RescoreOrigin, RescoreOrigin | undefined, RescoreOrigin>;
}
export type RescoreOrigin = 'webhook' | 'poll';

/** API calls the real-time change poll spent, per connection and hour (it runs outside any sync run). */
export interface ChangePollCallsTable {
  tenant_id: string;
  connection_id: string;
  hour: Timestamp;
  polls: number;
  calls: number;
}

// Web app (issue 8): people, sessions, OAuth flows in progress, API keys, idempotency, current risk.
export interface UsersTable {
  id: string;
  tenant_id: string;
  crm: string;
  crm_user_id: string;
  email: string | null;
  name: string | null;
  /** admin | viewer */
  role: string;
  created_at: CreatedAt;
  last_login_at: Timestamp | null;
}

export interface SessionsTable {
  /** sha256 of the cookie's random token: a leaked table does not yield usable cookies. */
  id_hash: string;
  tenant_id: string;
  user_id: string;
  csrf_token: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface OAuthStatesTable {
  state_hash: string;
  /** sha256 of the nonce in the browser's cookie: the state only works in the browser that started it. */
  browser_hash: string;
  crm: string;
  /** install | signin */
  purpose: string;
  /** production | sandbox (Salesforce login host) */
  environment: string;
  code_verifier: string;
  tenant_id: string | null;
  connection_id: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  /** The first characters of the key, shown so people can tell keys apart. */
  prefix: string;
  secret_hash: string;
  /** read | admin */
  role: string;
  rate_per_minute: number;
  created_by: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  /** The API key or user that sent the request: keys are per caller. */
  principal: string;
  key: string;
  method: string;
  path: string;
  request_hash: string;
  /** pending | done */
  state: string;
  status_code: number | null;
  response: Json<Record<string, unknown>> | null;
  created_at: Timestamp;
}

/** The current score of each deal with the deal columns the dashboard filters on (kept by triggers). */
export interface DealRiskTable {
  tenant_id: string;
  source: string;
  external_id: string;
  score_id: number;
  model_id: number | null;
  scored_at: Timestamp;
  score: number;
  category: string;
  win_probability: number;
  model_status: string;
  detail: Json<Record<string, unknown>>;
  is_open: boolean;
  name: string | null;
  amount: number | null;
  owner_id: string | null;
  owner_name: string | null;
  segment: string | null;
  stage: string | null;
  created_at: Timestamp | null;
}

/** 0007: the exchange rates a tenant's CRM reported (issue 16). */
export interface CurrencyRatesTable {
  tenant_id: string;
  source: string;
  /** Null until a read succeeded. */
  corporate: string | null;
  kind: string | null;
  /** RatePeriod[] with dates as ISO strings. */
  rates: Json<Array<Record<string, unknown>>>;
  fetched_at: Timestamp | null;
  /** Why the last read failed (the rates above are the last good ones). */
  error: string | null;
  error_at: Timestamp | null;
}

/** 0007: a closed quarter's forecast track record (issue 16). */
export interface ForecastQuartersTable {
  tenant_id: string;
  /** 2026-Q3, FY2027-Q1. */
  quarter: string;
  recorded_at: Timestamp;
  record: Json<Record<string, unknown>>;
}

/** 0010: a playbook task we created, as recommended and as the rep left it (issue 16). */
export interface ActionTasksTable {
  tenant_id: string;
  /** The outbox key (`<source>:<deal id>:<action>`). */
  task_key: string;
  source: string;
  external_id: string;
  action: string;
  rule: string | null;
  /** The CRM's task id. */
  task_id: string | null;
  owner_id: string | null;
  owner_name: string | null;
  recommended_at: Timestamp;
  /** Risk score, category and segment at the recommendation. */
  score: number;
  category: string;
  segment: string | null;
  status: 'open' | 'completed' | 'deleted';
  completed_at: Timestamp | null;
  /** When the CRM last reported on it. */
  checked_at: Timestamp | null;
}

/** 0010: how far sent tasks were taken into action_tasks, and the connector's task-change mark. */
export interface ActionTaskMarksTable {
  tenant_id: string;
  source: string;
  imported_until: Timestamp | null;
  read_mark: string | null;
  read_at: Timestamp | null;
}

export interface Database {
  tenants: TenantsTable;
  mapping_overrides: MappingOverridesTable;
  connections: ConnectionsTable;
  deals: DealsTable;
  deal_snapshots: DealSnapshotsTable;
  scores: ScoresTable;
  models: ModelsTable;
  sync_runs: SyncRunsTable;
  writebacks: WritebacksTable;
  audit_log: AuditLogTable;
  users: UsersTable;
  sessions: SessionsTable;
  oauth_states: OAuthStatesTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
  deal_risk: DealRiskTable;
  tenant_sync: TenantSyncTable;
  deal_sync_state: DealSyncStateTable;
  deliveries: DeliveriesTable;
  alerts: AlertsTable;
  rescore_queue: RescoreQueueTable;
  change_poll_calls: ChangePollCallsTable;
  webhook_events: WebhookEventsTable;
  currency_rates: CurrencyRatesTable;
  forecast_quarters: ForecastQuartersTable;
  action_tasks: ActionTasksTable;
  action_task_marks: ActionTaskMarksTable;
}
