import type { AppContext } from '../context.ts';
import type { Connection } from '../store/repos/connections.ts';
import type { AuditBuffer } from './audit-buffer.ts';
import type { WebDeps } from './deps.ts';
import type { RateLimiter } from './http/rate-limit.ts';

/** Settings of the web app (startWeb options over defaults). */
export interface WebConfig {
  /** Public base URL: OAuth redirect URIs and absolute links are built from it. */
  appUrl: string;
  sessionSecret: string;
  /** Secure cookies and HSTS (production). */
  secure: boolean;
  sessionTtlMs: number;
  /** JSON and form bodies larger than this are refused with 413. */
  bodyLimit: string;
  /** Default per-key limit for new API keys, requests per minute. */
  keyRatePerMinute: number;
  /** Per signed-in user, requests per minute. */
  userRatePerMinute: number;
  /** OAuth starts and callbacks per client address, per minute. */
  loginPerMinute: number;
  /** Invalid API keys per client address, per minute. */
  keyFailuresPerMinute: number;
  /** How long a looked-up API key is trusted before asking the store again. */
  keyCacheMs: number;
  /** Express `trust proxy` (TRUST_PROXY, e.g. 1 behind one load balancer) so req.ip is the client's. */
  trustProxy: boolean | number | string;
  version: string;
}

/** Everything a route needs: the app context, injected services, config and shared helpers. */
export interface ServerContext {
  app: AppContext;
  deps: WebDeps;
  config: WebConfig;
  limiter: RateLimiter;
  audit: AuditBuffer;
  /** Forget cached API keys (after a revoke). */
  invalidateKeys(): void;
  /** A tenant's connections, cached for a few seconds (record links on every deal list). */
  connections(tenantId: string): Promise<Connection[]>;
}
