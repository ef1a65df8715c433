import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { createHubSpotConnector, type HubSpotConnectorOptions } from '../../../../connectors/hubspot/connector.ts';
import type { CredentialStore, Credentials } from '../../../../connectors/types.ts';
import { type Mapping, parseMapping } from '../../../../src/mapping/schema.ts';

export const MAPPING_PATH = new URL('../../../../mappings/hubspot.yaml', import.meta.url);

export function hubspotMapping(): Mapping {
  return parseMapping(parseYaml(readFileSync(MAPPING_PATH, 'utf8')), 'mappings/hubspot.yaml');
}

/** A CredentialStore in memory that records what the connector saved and flagged. */
export class MemoryCredentials implements CredentialStore {
  saved: Credentials[] = [];
  reauth: string[] = [];
  loads = 0;
  constructor(public current: Credentials) {}
  async load(): Promise<Credentials> {
    this.loads++;
    return { ...this.current };
  }
  async save(c: Credentials): Promise<void> {
    this.saved.push(c);
    this.current = c;
  }
  async markNeedsReauth(reason: string): Promise<void> {
    this.reauth.push(reason);
  }
}

/** A test clock: `sleep` advances time instead of waiting, and records each wait. */
export class TestClock {
  sleeps: number[] = [];
  constructor(public t: number = Date.UTC(2026, 10, 24, 10, 0, 0)) {}
  now = (): Date => new Date(this.t);
  sleep = async (ms: number): Promise<void> => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

export function oauthCredentials(clock: TestClock, overrides: Partial<Credentials> = {}): Credentials {
  return {
    accessToken: 'access-1',
    refreshToken: 'refresh-1',
    expiresAt: new Date(clock.t + 30 * 60_000),
    accountId: '147893286',
    scopes: [],
    ...overrides,
  };
}

export function makeConnector(
  clock: TestClock,
  creds: MemoryCredentials,
  extra: Partial<HubSpotConnectorOptions> = {},
): ReturnType<typeof createHubSpotConnector> {
  return createHubSpotConnector({
    tenantId: 't-hubspot',
    mapping: hubspotMapping(),
    credentials: creds,
    clientId: 'client-id',
    clientSecret: 'client-secret',
    basePath: 'https://api.hubapi.com',
    now: clock.now,
    sleep: clock.sleep,
    ...extra,
  });
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
