import { adminHandler, landingHandler } from './admin.ts';
import { type Advance, SandboxClock } from './clock.ts';
import { SandboxCurrencies, type SandboxCurrencyOptions } from './currency.ts';
import { type FaultRule, FaultTable } from './faults.ts';
import { generateWorld } from './generate.ts';
import { type Mount, startHttpServer } from './http/server.ts';
import type { CallLogEntry, Crm, SbRequest } from './http/types.ts';
import { HubSpotMount } from './hubspot/api.ts';
import { HS_OPEN_STAGES } from './hubspot/catalog.ts';
import { HsLimiter } from './hubspot/limits.ts';
import { HsAuth, type HsTokenResponse } from './hubspot/oauth.ts';
import { HsObjectsApi } from './hubspot/objects-api.ts';
import { HubSpotPortal } from './hubspot/portal.ts';
import { HsPropertiesApi } from './hubspot/properties-api.ts';
import { HsSearch } from './hubspot/search.ts';
import { mixSeed } from './random.ts';
import { type RepActionOptions, RepActions } from './rep-actions.ts';
import { precreateHubSpot, precreateSalesforce } from './risk-fields.ts';
import { SalesforceMount } from './salesforce/api.ts';
import { SfBulk2 } from './salesforce/bulk2.ts';
import { SfMetadata } from './salesforce/metadata.ts';
import { SfAuth, type SfTokenResponse } from './salesforce/oauth.ts';
import { SalesforceOrg } from './salesforce/org.ts';
import { SfQuery } from './salesforce/query.ts';
import { SfRecords } from './salesforce/records.ts';
import { SF_OPEN_STAGES } from './salesforce/schema.ts';
import { buildState, type SandboxState } from './state.ts';
import { ceilingAuc, type TruthRow, truthRows } from './truth.ts';

export type { Advance } from './clock.ts';
export type { SandboxCurrencies, SandboxCurrencyOptions } from './currency.ts';
export type { FaultRule } from './faults.ts';
export type { CallLogEntry } from './http/types.ts';
export type { RepActionOptions } from './rep-actions.ts';
export type { TruthRow } from './truth.ts';

export type SandboxCrm = 'salesforce' | 'hubspot';

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  seed?: number;
  /** Deals per CRM that exist when the sandbox starts. */
  deals?: number;
  /** Days over which those deals were created (default 365). */
  historyDays?: number;
  /** Sandbox "now" at start (default 2026-11-24T09:00:00Z, so runs are reproducible). */
  clockStart?: Date;
  /** Sandbox ms per real ms; 0 (default) = time moves only on advance(). */
  pace?: number;
  /** Token lifetimes run on the wall clock (default) or also age with clock.advance(). */
  tokenClock?: 'wall' | 'sandbox';
  rotateRefreshTokens?: boolean;
  faults?: FaultRule[];
  /** Mean days until a rep completes a task created through the API (null = never; default 3). */
  taskCompletionDays?: number | null;
  /**
   * Opt-in: reps complete only some tasks, and completing some changes how their deals end
   * (a known effect per action, for tests of the action outcomes report). Absent: every task is
   * completed and changes nothing.
   */
  repActions?: RepActionOptions;
  /**
   * A multi-currency Salesforce org and HubSpot portal (`true`: the defaults of sandbox/currency.ts).
   * Absent: both single-currency, as every existing test and benchmark expects.
   */
  currencies?: SandboxCurrencyOptions | true;
  salesforce?: {
    clientId?: string;
    clientSecret?: string;
    redirectUris?: string[];
    /** Access-token life (the org's session timeout, default 2 h). */
    sessionTimeoutMs?: number;
    dailyApiLimit?: number;
    /** absent: the connector creates them; created: exist but not granted (FLS); ready: created and granted. */
    riskFields?: 'absent' | 'created' | 'ready';
    /** How long a Bulk API 2.0 job stays InProgress (wall ms, default 0). */
    bulkProcessingMs?: number;
    /** The External Client App's selected OAuth scopes (default api, refresh_token, id). */
    appScopes?: string[];
    /** With `currencies`: advanced currency management, i.e. DatedConversionRate (default true). */
    advancedCurrencyManagement?: boolean;
    /** Reps set ForecastCategoryName on open opportunities (default: the stage's category). */
    forecastCategories?: boolean;
  };
  hubspot?: {
    clientId?: string;
    clientSecret?: string;
    redirectUris?: string[];
    accessTokenTtlMs?: number;
    privateAppToken?: string;
    burstLimit?: number;
    burstWindowMs?: number;
    searchPerSecond?: number;
    dailyLimit?: number | null;
    /** Search results reachable per query (HubSpot: 10,000); lower it to test window splitting on small data. */
    searchCap?: number;
    /** Sandbox-clock ms before a change shows in CRM search (HubSpot's index lags writes by seconds; no figure documented). Default 5,000; 0 makes search instantly consistent. */
    searchLagMs?: number;
    /** Associations per object in one batch-read answer before `paging.next.after` (default 100). */
    associationPageSize?: number;
    riskProperties?: 'absent' | 'ready';
    /** Reps set `hs_manual_forecast_category` on their deals (default: the property stays empty). */
    forecastCategories?: boolean;
  };
}

export interface Sandbox {
  url: string;
  seed: number;
  salesforce: {
    instanceUrl: string;
    loginUrl: string;
    clientId: string;
    clientSecret: string;
    orgId: string;
    userId: string;
    version: string;
    /** Tokens as if an admin had approved the consent page (default scope `api refresh_token`). */
    issueTokens(scope?: string): SfTokenResponse;
    /** Scopes calls have relied on so far: `api` (REST, Bulk, Metadata), `id` (identity), `refresh_token`. */
    scopesUsed(): string[];
  };
  hubspot: {
    apiBase: string;
    clientId: string;
    clientSecret: string;
    portalId: number;
    appId: number;
    privateAppToken: string;
    issueTokens(scopes?: string[]): HsTokenResponse;
  };
  clock: { now(): Date; advance(by: Advance): Date; setPace(pace: number): void };
  faults: {
    add(rule: FaultRule): number;
    remove(id: number): void;
    clear(): void;
    list(): Array<FaultRule & { id: number; fired: number }>;
  };
  tokens: { expireAll(crm?: SandboxCrm): void; revokeAll(crm?: SandboxCrm): void };
  state: SandboxState;
  /** The currencies of the HubSpot portal (null when single-currency): what a test checks conversions against. */
  currencies: SandboxCurrencies | null;
  /** The Salesforce org's: the same, without `unrated` (an opportunity can only carry an org currency). */
  salesforceCurrencies: SandboxCurrencies | null;
  model: { ceilingAuc(crm: SandboxCrm): { auc: number | null; closed: number; lost: number }; truth(crm: SandboxCrm): TruthRow[] };
  close(): Promise<void>;
}

export const DEFAULT_CLOCK_START = new Date('2026-11-24T09:00:00.000Z');

/** Starts the sandbox CRM: one HTTP server, Salesforce under /sf, HubSpot under /hs, admin under /_sandbox. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const seed = opts.seed ?? 42;
  const deals = opts.deals ?? 500;
  const start = (opts.clockStart ?? DEFAULT_CLOCK_START).getTime();
  const clock = new SandboxClock(start, opts.pace ?? 0);
  const tokenNow = () => Date.now() + (opts.tokenClock === 'sandbox' ? clock.advancedMs : 0);
  const faults = new FaultTable(seed);
  for (const f of opts.faults ?? []) faults.add(f);
  const taskCompletionDays = opts.taskCompletionDays === undefined ? 3 : opts.taskCompletionDays;
  const calls: CallLogEntry[] = [];
  const currencyOpts = opts.currencies === true ? {} : opts.currencies;
  const currencies = currencyOpts ? new SandboxCurrencies(currencyOpts) : null;
  // A Salesforce opportunity can only carry one of the org's currencies: `unrated` is HubSpot's alone.
  const sfCurrencies = currencyOpts ? new SandboxCurrencies({ ...currencyOpts, unrated: null }) : null;

  const sfo = opts.salesforce ?? {};
  const sfWorld = generateWorld({
    seed: mixSeed(seed, 101),
    deals,
    startMs: start,
    openStages: SF_OPEN_STAGES,
    historyDays: opts.historyDays,
  });
  const org = new SalesforceOrg(sfWorld, clock, {
    taskCompletionDays,
    ...(opts.repActions ? { repActions: new RepActions(sfWorld.seed, opts.repActions) } : {}),
    repForecasts: sfo.forecastCategories ?? false,
    ...(sfCurrencies ? { currency: sfCurrencies, advancedCurrency: sfo.advancedCurrencyManagement ?? true } : {}),
  });
  const sfAuth = new SfAuth(
    {
      clientId: sfo.clientId ?? `3MVG9sandboxDealRisk${seed}`,
      clientSecret: sfo.clientSecret ?? `sandbox-sf-secret-${seed}`,
      redirectUris: sfo.redirectUris ?? null,
      rotateRefreshTokens: opts.rotateRefreshTokens ?? false,
      sessionTimeoutMs: sfo.sessionTimeoutMs ?? 2 * 3_600_000,
      orgId: org.orgId,
      userId: org.integrationUserId,
      userName: 'Integration User',
      userEmail: 'integration@sandbox-crm.example',
      ...(sfo.appScopes ? { appScopes: sfo.appScopes } : {}),
    },
    tokenNow,
  );
  const sfQuery = new SfQuery(org);
  const metadata = new SfMetadata(org, sfAuth);
  if (sfo.riskFields && sfo.riskFields !== 'absent') precreateSalesforce(org, metadata, sfo.riskFields);
  const sfMount = new SalesforceMount({
    org,
    auth: sfAuth,
    faults,
    query: sfQuery,
    records: new SfRecords(org, faults),
    bulk: new SfBulk2(sfQuery, org.integrationUserId, sfo.bulkProcessingMs ?? 0),
    metadata,
    dailyApiLimit: sfo.dailyApiLimit ?? 100_000,
  });

  const hso = opts.hubspot ?? {};
  const portalId = 140_000_000 + (mixSeed(seed, 7) % 9_000_000);
  const hsWorld = generateWorld({
    seed: mixSeed(seed, 202),
    deals,
    startMs: start,
    openStages: HS_OPEN_STAGES,
    historyDays: opts.historyDays,
  });
  const portal = new HubSpotPortal(hsWorld, clock, {
    portalId,
    taskCompletionDays,
    ...(opts.repActions ? { repActions: new RepActions(hsWorld.seed, opts.repActions) } : {}),
    deals: { currencies, forecastCategories: hso.forecastCategories ?? false },
  });
  if (hso.riskProperties === 'ready') precreateHubSpot(portal);
  const hsAuth = new HsAuth(
    {
      clientId: hso.clientId ?? `sandbox-hs-client-${seed}`,
      clientSecret: hso.clientSecret ?? `sandbox-hs-secret-${seed}`,
      appId: 1_000_000 + (seed % 1_000_000),
      portalId,
      userId: 900_000 + (seed % 1000),
      userEmail: 'admin@sandbox-crm.example',
      redirectUris: hso.redirectUris ?? null,
      accessTokenTtlMs: hso.accessTokenTtlMs ?? 30 * 60_000,
      privateAppToken: hso.privateAppToken ?? `pat-na1-sandbox-${seed}`,
    },
    tokenNow,
  );
  const limiter = new HsLimiter(
    {
      burstLimit: hso.burstLimit ?? 110,
      burstWindowMs: hso.burstWindowMs ?? 10_000,
      searchPerSecond: hso.searchPerSecond ?? 5,
      dailyLimit: hso.dailyLimit ?? null,
    },
    () => Math.floor(clock.now() / 86_400_000),
  );
  let searchCap = hso.searchCap ?? 10_000;
  const hsMount = new HubSpotMount({
    portal,
    auth: hsAuth,
    faults,
    limiter,
    objects: new HsObjectsApi(portal, faults),
    search: new HsSearch(
      portal,
      () => searchCap,
      () => hso.searchLagMs ?? 5_000,
    ),
    associationPageSize: hso.associationPageSize ?? 100,
    properties: new HsPropertiesApi(portal),
    currencies,
  });

  const tokens = {
    expireAll(crm?: SandboxCrm) {
      if (crm !== 'hubspot') sfAuth.tokens.expireAll();
      if (crm !== 'salesforce') hsAuth.tokens.expireAll();
    },
    revokeAll(crm?: SandboxCrm) {
      if (crm !== 'hubspot') sfAuth.tokens.revokeAll();
      if (crm !== 'salesforce') hsAuth.tokens.revokeAll();
    },
  };
  const worlds = { salesforce: sfWorld, hubspot: hsWorld };
  const model = {
    ceilingAuc: (crm: SandboxCrm) => ceilingAuc(worlds[crm], crm === 'salesforce' ? org.now() : portal.now()),
    truth: (crm: SandboxCrm) => truthRows(worlds[crm], crm === 'salesforce' ? org.now() : portal.now()),
  };
  const mounts: Record<Crm, Mount> = { sf: sfMount, hs: hsMount };
  let baseUrl = '';
  const http = await startHttpServer({
    host: opts.host ?? '127.0.0.1',
    port: opts.port ?? 0,
    mounts,
    faults,
    sandboxNow: () => clock.now(),
    onCall: (e) => {
      calls.push(e);
      if (calls.length > 200_000) calls.splice(0, 100_000);
    },
    admin: (req: SbRequest) =>
      adminHandler(req, {
        clock,
        faults,
        tokens,
        model,
        calls,
        seed,
        deals,
        setSearchCap: (n) => (searchCap = n),
        issue: (crm) => (crm === 'salesforce' ? sfAuth.issue(baseUrl) : hsAuth.issue()),
        info: () => info(),
      }),
    landing: () => landingHandler({ url: baseUrl, now: new Date(clock.now()), crms: ['salesforce', 'hubspot'], deals, seed }),
  });
  baseUrl = http.url;
  const info = () => ({
    url: baseUrl,
    seed,
    dealsPerCrm: deals,
    now: new Date(clock.now()).toISOString(),
    pace: clock.currentPace,
    salesforce: {
      instanceUrl: `${baseUrl}/sf`,
      loginUrl: `${baseUrl}/sf`,
      clientId: sfAuth.cfg.clientId,
      apiUsage: { used: sfMount.used, limit: sfo.dailyApiLimit ?? 100_000 },
      ceiling: model.ceilingAuc('salesforce'),
    },
    hubspot: { apiBase: `${baseUrl}/hs`, clientId: hsAuth.cfg.clientId, portalId, ceiling: model.ceilingAuc('hubspot'), searchCap },
    faults: faults.list(),
  });

  return {
    url: baseUrl,
    seed,
    salesforce: {
      instanceUrl: `${baseUrl}/sf`,
      loginUrl: `${baseUrl}/sf`,
      clientId: sfAuth.cfg.clientId,
      clientSecret: sfAuth.cfg.clientSecret,
      orgId: org.orgId,
      userId: org.integrationUserId,
      version: '66.0',
      issueTokens: (scope) => sfAuth.issue(baseUrl, scope),
      scopesUsed: () => [...sfAuth.scopesUsed].sort(),
    },
    hubspot: {
      apiBase: `${baseUrl}/hs`,
      clientId: hsAuth.cfg.clientId,
      clientSecret: hsAuth.cfg.clientSecret,
      portalId,
      appId: hsAuth.cfg.appId,
      privateAppToken: hsAuth.cfg.privateAppToken,
      issueTokens: (scopes) => hsAuth.issue(scopes),
    },
    clock: {
      now: () => new Date(clock.now()),
      advance: (by) => new Date(clock.advance(by)),
      setPace: (p) => clock.setPace(p),
    },
    faults: { add: (r) => faults.add(r), remove: (id) => faults.remove(id), clear: () => faults.clear(), list: () => faults.list() },
    tokens,
    state: buildState({ org, portal, calls, sfMount, baseUrl }),
    currencies,
    salesforceCurrencies: sfCurrencies,
    model,
    close: () => http.close(),
  };
}
