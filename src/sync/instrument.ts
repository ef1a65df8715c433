import type { Connector, FetchPage } from '../../connectors/types.ts';

/**
 * Wraps a connector so the time spent waiting on it (the CRM, its network, its pacing) is
 * measured: run records and the benchmark split a run into our own time and the CRM's.
 */
export function timedConnector(inner: Connector): { connector: Connector; waitMs: () => number } {
  let wait = 0;
  const timed = async <T>(p: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await p();
    } finally {
      wait += performance.now() - t;
    }
  };
  const connector: Connector = {
    get source() {
      return inner.source;
    },
    get mapping() {
      return inner.mapping;
    },
    setup: () => timed(() => inner.setup()),
    fetchChanges(opts): AsyncIterable<FetchPage> {
      return {
        [Symbol.asyncIterator]() {
          const it = inner.fetchChanges(opts)[Symbol.asyncIterator]();
          return {
            next: () => timed(() => it.next()),
            return: async (v?: unknown) => (it.return ? timed(() => it.return!(v)) : { done: true as const, value: undefined }),
          };
        },
      };
    },
    ...(inner.fetchByIds ? { fetchByIds: (ids, o) => timed(() => inner.fetchByIds!(ids, o)) } : {}),
    ...(inner.changedSince ? { changedSince: (mark, limit) => timed(() => inner.changedSince!(mark, limit)) } : {}),
    writeBack: (u) => timed(() => inner.writeBack(u)),
    upsertTasks: (t) => timed(() => inner.upsertTasks(t)),
    ...(inner.readTaskStates ? { readTaskStates: (q) => timed(() => inner.readTaskStates!(q)) } : {}),
    ...(inner.readCurrencyRates ? { readCurrencyRates: () => timed(() => inner.readCurrencyRates!()) } : {}),
    usage: () => inner.usage(),
    recordUrl: (id) => inner.recordUrl(id),
  };
  return { connector, waitMs: () => wait };
}
