import type { ConnectorLogger } from './types.ts';

/** Drops every line: a connector's logger when its caller passes none (tests, scripts). */
export const silentLogger: ConnectorLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };
