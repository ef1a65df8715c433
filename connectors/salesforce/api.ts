import type { Connection } from 'jsforce';
import { AppError } from '../../src/core/errors.ts';
import type { ConnectorLogger, CredentialStore } from '../types.ts';
import { fromSdkError } from './from-sdk-error.ts';
import type { Meter } from './meter.ts';
import { parseIdentityUrl } from './oauth.ts';
import type { Session } from './session.ts';
import { invalidFieldIn } from './soql.ts';

export interface QueryPage<T> {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: T[];
}

/**
 * The connector's only door to jsforce: one place that turns whatever jsforce throws into an
 * AppError, and the query helpers every module uses. jsforce owns retries of reads (GET is
 * retried in its transport on 429/5xx/network errors); nothing here retries again.
 */
export class SalesforceApi {
  constructor(
    private readonly session: Session,
    readonly meter: Meter,
    private readonly credentials: CredentialStore,
    private readonly log: ConnectorLogger,
  ) {}

  get conn(): Connection {
    return this.session.conn;
  }

  /** Runs one jsforce call; failures come back as AppError (auth failures mark re-auth once). */
  async call<T>(fn: (conn: Connection) => Promise<T>): Promise<T> {
    try {
      return await fn(this.session.conn);
    } catch (e) {
      throw await this.toAppError(e);
    }
  }

  private async toAppError(e: unknown): Promise<AppError> {
    const authError = this.session.authError;
    if (authError && (e === authError || /Unable to refresh session/.test(String((e as Error)?.message)))) return authError;
    const err = fromSdkError(e, this.meter.lastError);
    if (err.code === 'crm_auth_expired' && !err.details.retryable) {
      // A 401 jsforce would not refresh (e.g. "session is not valid for use with the REST API"):
      // only a new authorization fixes it.
      const revoked = new AppError('crm_auth_revoked', `${err.message}; an admin must connect the org again`, {
        ...err.details,
        cause: err,
      });
      this.session.authError = revoked;
      await this.credentials.markNeedsReauth(revoked.message);
      return revoked;
    }
    return err;
  }

  /**
   * The user the tokens act as: the identity URL of the token response, stored at install
   * (credentials.userId). Credentials stored before that fall back to the `identity` entry of the
   * REST resource list (GET /services/data/vXX.X/, `api` scope), never to userinfo, which needs
   * an identity scope the install does not ask for.
   */
  async userId(): Promise<string> {
    const stored = (await this.credentials.load()).userId;
    if (stored) return stored;
    const resources = await this.call((c) => c.request<{ identity?: string }>({ method: 'GET', url: `/services/data/v${c.version}/` }));
    return parseIdentityUrl(String(resources.identity ?? '')).userId;
  }

  query<T>(soql: string, opts: { all?: boolean } = {}): Promise<QueryPage<T>> {
    const url = `/${opts.all ? 'queryAll' : 'query'}?q=${encodeURIComponent(soql)}`;
    return this.call((c) => c.request<QueryPage<T>>({ method: 'GET', url }));
  }

  /**
   * Follows `nextRecordsUrl`. A batch holds at most 2,000 rows and often fewer (wide rows, long
   * text fields): the locator carries the position, so nothing here counts rows.
   */
  queryMore<T>(nextRecordsUrl: string): Promise<QueryPage<T>> {
    return this.call((c) => c.request<QueryPage<T>>({ method: 'GET', url: nextRecordsUrl }));
  }

  /** Every row of a query, page by page (for bounded result sets such as one page's history). */
  async queryRows<T>(soql: string, opts: { all?: boolean } = {}): Promise<T[]> {
    let page = await this.query<T>(soql, opts);
    const rows = [...page.records];
    while (!page.done && page.nextRecordsUrl) {
      page = await this.queryMore<T>(page.nextRecordsUrl);
      rows.push(...page.records);
    }
    return rows;
  }

  /**
   * Sends a query built from a select list; when the org lacks (or hides) one of the optional
   * fields, drops it with a warning and sends it again. Returns the list that worked.
   */
  async queryDroppingFields<T>(
    build: (fields: readonly string[]) => string,
    fields: readonly string[],
    optional: (field: string) => boolean,
    opts: { all?: boolean; object?: string; onDrop?: (field: string, reason: string) => void } = {},
  ): Promise<{ page: QueryPage<T>; fields: string[] }> {
    let current = [...fields];
    for (;;) {
      try {
        return { page: await this.query<T>(build(current), opts), fields: current };
      } catch (e) {
        const field = droppable(e, current, opts.object);
        if (!field || !optional(field)) throw e;
        current = current.filter((f) => f !== field);
        const reason = `Salesforce ${opts.object ?? 'Opportunity'} query: dropped ${field} (${(e as AppError).details.sfCode}: not in this org or hidden by field-level security)`;
        this.log.warn('salesforce field dropped from query', { field, object: opts.object ?? 'Opportunity' });
        opts.onDrop?.(field, reason);
      }
    }
  }
}

function droppable(e: unknown, fields: readonly string[], object = 'Opportunity'): string | null {
  if (!(e instanceof AppError) || e.details.sfCode !== 'INVALID_FIELD') return null;
  return invalidFieldIn(e.message, fields, object);
}
