import type { IncomingHttpHeaders } from 'node:http';
import type { Credentials } from '../../connectors/types.ts';
import type { Deal } from '../core/deal.ts';
import type { DealScoreView, DiagnosticsView, DigestView, ModelPerformanceView, PipelineMetricsView, SyncRunView } from './api/schemas.ts';

/**
 * What the web app needs from the rest of the product, injected so the app is testable and
 * never re-implements scoring, syncing or a CRM's OAuth. main.ts wires the real services.
 */
export interface WebDeps {
  scoring: ScoringPort;
  sync: SyncPort;
  /** One provider per CRM that can be connected; a CRM without one shows as not configured. */
  oauth: Partial<Record<Crm, OAuthProvider>>;
  /** HubSpot's signed app-card and webhook endpoints (connectors/hubspot/http-handlers.ts). */
  hubspot?: { cardData?: RawHandler; webhook?: RawHandler };
  /** Set when the app runs against the built-in sandbox CRM: the pages say so. */
  sandbox?: SandboxInfo | null;
}

export type Crm = 'salesforce' | 'hubspot';

/** Scoring engine (issue 3): pure core behind a service that knows the tenant's model. */
export interface ScoringPort {
  /** Scores one deal with the tenant's active model; nothing is stored. */
  scoreDeal(tenantId: string, deal: Deal, asOf: Date): Promise<DealScoreView>;
  metrics(tenantId: string, filter: { segment?: string; owner?: string }, asOf: Date): Promise<PipelineMetricsView>;
  diagnostics(tenantId: string, asOf: Date): Promise<DiagnosticsView>;
  modelPerformance(tenantId: string): Promise<ModelPerformanceView>;
  /** Makes an earlier model version active again (and rescoring follows). */
  rollback(tenantId: string, modelId: number, by: string): Promise<void>;
  playbook: {
    get(tenantId: string): Promise<{ overridden: boolean; playbook: unknown }>;
    /** Validates (AppError naming the key path) and stores the tenant's playbook. */
    save(tenantId: string, doc: unknown, by: string): Promise<{ overridden: boolean; playbook: unknown }>;
  };
}

/** Sync engine and worker (issue 6). */
export interface SyncPort {
  /** Asks for a run now; the worker picks it up. */
  requestSync(tenantId: string, by: string, connectionId?: string): Promise<{ requested: boolean; requestedAt: Date; message: string }>;
  runs(tenantId: string, limit: number): Promise<SyncRunView[]>;
  digest(tenantId: string, asOf: Date, opts: { owner?: string }): Promise<DigestView>;
  /** API calls used against the CRM's limit, per connection, when the CRM reports it. */
  apiUsage?(tenantId: string): Promise<ApiUsageView[]>;
  /**
   * Right after an install or re-authorization: create or verify the risk fields (Salesforce)
   * or properties (HubSpot) the mapping writes to, before the first sync writes back.
   */
  connectionInstalled?(
    tenantId: string,
    connectionId: string,
    // biome-ignore lint/suspicious/noConfusingVoidType: an adapter may have nothing to report (no connection, a CSV file).
  ): Promise<{ created: string[]; existing: string[]; warnings: string[] } | void>;
}

export interface ApiUsageView {
  connectionId: string;
  crm: Crm;
  used: number | null;
  limit: number | null;
  /** What the limit is counted over: "24 h rolling" (Salesforce), "10 s" (HubSpot burst)... */
  window: string;
  at: string | null;
  /**
   * The real-time change poll over the last 24 h (it runs between sync runs, so its calls are on
   * no run record): null for a connection that was not polled.
   */
  changePoll?: { polls: number; calls: number } | null;
}

export type OAuthPurpose = 'install' | 'signin';
/** Salesforce production (login.salesforce.com) or sandbox (test.salesforce.com) org. */
export type OrgEnvironment = 'production' | 'sandbox';

/**
 * One CRM's OAuth, adapted from the connector's helpers (connectors/<crm>/oauth.ts). The web app
 * owns state (bound to the browser) and PKCE; the provider builds URLs and trades codes.
 */
export interface OAuthProvider {
  readonly crm: Crm;
  /** Shown on the install page, e.g. "Salesforce (sandbox CRM)". */
  readonly label: string;
  authorizeUrl(p: {
    state: string;
    codeChallenge: string;
    redirectUri: string;
    purpose: OAuthPurpose;
    environment: OrgEnvironment;
  }): string;
  exchange(p: {
    code: string;
    codeVerifier: string;
    redirectUri: string;
    purpose: OAuthPurpose;
    environment: OrgEnvironment;
  }): Promise<OAuthGrant>;
  /** Uninstall: revoke our tokens at the CRM (best effort; the connection is closed either way). */
  revoke?(credentials: Credentials): Promise<void>;
  /** Link to a deal in the CRM's UI. */
  recordUrl?(connection: { accountId: string | null; instanceUrl: string | null }, externalId: string): string | null;
}

export interface OAuthGrant {
  credentials: Credentials;
  /** The org (Salesforce org id) or portal (HubSpot hub id) the person authorized. */
  account: { id: string; name?: string | null; instanceUrl?: string | null };
  /** Who authorized: their id inside that org or portal. */
  user: { id: string; email?: string | null; name?: string | null };
}

export interface SandboxInfo {
  /** Where the sandbox CRM serves (its own pages). */
  url: string;
  deals?: number;
  seed?: number;
}

/** A framework-neutral HTTP handler over the raw body (HubSpot signature checks need the bytes). */
export type RawHandler = (req: RawRequest) => Promise<RawResponse>;
export interface RawRequest {
  method: string;
  /** Full URL as the client called it (signature v3 signs it). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
export interface RawResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}
