import { describe, expect, it } from 'vitest';
import { parseEnv } from '../../../config/env.ts';

describe("TRUST_PROXY takes what Express's trust proxy takes", () => {
  it('reads booleans, hop counts and address lists', () => {
    expect(parseEnv({}).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: '' }).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: 'false' }).TRUST_PROXY).toBe(false);
    expect(parseEnv({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(parseEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8, 192.168.0.0/255.255.0.0,::1' }).TRUST_PROXY).toBe(
      'loopback,10.0.0.0/8,fd00::/8,192.168.0.0/255.255.0.0,::1',
    );
  });

  it('refuses entries Express would choke on, naming each', () => {
    expect(() => parseEnv({ TRUST_PROXY: 'loopback,proxy.internal' })).toThrow(/TRUST_PROXY: "proxy\.internal" is not an address/);
    expect(() => parseEnv({ TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY: "10\.0\.0\.0\/33": the prefix must be 0 to 32/);
    expect(() => parseEnv({ TRUST_PROXY: 'yes' })).toThrow(/TRUST_PROXY/);
  });
});
