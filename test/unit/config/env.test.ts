import { describe, expect, it } from 'vitest';
import { hasCrmCredentials, parseEnv } from '../../../config/env.ts';

describe('environment', () => {
  it('runs on embedded defaults with nothing set', () => {
    const env = parseEnv({});
    expect(env).toMatchObject({ NODE_ENV: 'development', PORT: 3000, DATA_DIR: './data', SALESFORCE_API_VERSION: '66.0' });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(hasCrmCredentials(env)).toBe(false);
  });

  it('refuses to start in production without a key, a session secret and an https URL, naming all three at once', () => {
    expect(() => parseEnv({ NODE_ENV: 'production', APP_URL: 'http://risk.example.com' })).toThrow(
      /ENCRYPTION_KEY: is required in production; SESSION_SECRET: is required in production; APP_URL: must be an https URL/,
    );
    expect(() =>
      parseEnv({ NODE_ENV: 'production', APP_URL: 'https://risk.example.com', ENCRYPTION_KEY: 'k', SESSION_SECRET: 's' }),
    ).not.toThrow();
  });

  it('reports every malformed variable together', () => {
    expect(() => parseEnv({ PORT: 'eighty', LOG_LEVEL: 'loud' })).toThrow(/PORT: .*; LOG_LEVEL: /);
  });

  it('treats blank variables as unset', () => {
    expect(parseEnv({ DATABASE_URL: '  ', HUBSPOT_PRIVATE_APP_TOKEN: '' }).DATABASE_URL).toBeUndefined();
    expect(hasCrmCredentials(parseEnv({ HUBSPOT_PRIVATE_APP_TOKEN: 'pat-na1-abc' }))).toBe(true);
  });
});
