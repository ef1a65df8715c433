import { parseEnv } from '../../../../config/env.ts';
import type { AppContext } from '../../../../src/context.ts';
import { silentLogger } from '../../../../src/log.ts';
import type { Store } from '../../../../src/store/index.ts';
import { loadSyncConfig, type SyncConfig } from '../../../../src/sync/config.ts';

export interface TestClock {
  now: () => Date;
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start = '2026-11-24T10:00:00Z'): TestClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    set: (at) => {
      t = new Date(at).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}

/**
 * An AppContext over a test store with a clock the test moves. Slack deliveries may reach the
 * loopback stand-in (helpers/slack-sink.ts): a test-only allowance, refused in production.
 */
export function testContext(store: Store, clock: TestClock, env: Record<string, string> = {}): AppContext {
  return {
    env: parseEnv({ NODE_ENV: 'test', SLACK_ALLOW_PRIVATE_HOSTS: '127.0.0.1', ...env }),
    logger: silentLogger(),
    store,
    now: clock.now,
    close: () => store.close(),
  };
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** The shipped config/sync.yaml with overrides (e.g. no jitter in tests). */
export function testConfig(patch: (c: SyncConfig) => void = () => {}): SyncConfig {
  const c = structuredClone(loadSyncConfig());
  c.schedule.jitterSeconds = 0;
  patch(c);
  return c;
}
