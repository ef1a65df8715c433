import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env.ts';
import { createLogger, type Logger } from './log.ts';
import { newKey, parseKey } from './store/crypto.ts';
import { openStore, type Store } from './store/index.ts';
import type { PgliteShare } from './store/pglite-dir.ts';

export interface AppContext {
  env: Env;
  logger: Logger;
  store: Store;
  /** The one clock the app reads; tests and the sandbox demo replace it. */
  now: () => Date;
  /**
   * The generated development key in use because ENCRYPTION_KEY is unset. Whoever stores CRM
   * tokens says so (the app at start-up); a command working on local files has nothing to warn about.
   */
  devKeyFile?: string;
  close(): Promise<void>;
}

/**
 * In development a missing ENCRYPTION_KEY is generated once and kept in the data directory
 * (`file`); production refuses to start without one (the env schema enforces it).
 */
export function resolveEncryptionKey(env: Env): { key: Buffer; file?: string } {
  if (env.ENCRYPTION_KEY) return { key: parseKey(env.ENCRYPTION_KEY) };
  const file = path.join(env.DATA_DIR, 'encryption.key');
  if (!existsSync(file)) {
    mkdirSync(env.DATA_DIR, { recursive: true });
    writeFileSync(file, newKey(), { mode: 0o600 });
  }
  return { key: parseKey(readFileSync(file, 'utf8')), file };
}

export function loggerFor(env: Env, silent = false): Logger {
  return createLogger({
    level: env.LOG_LEVEL,
    format: env.LOG_FORMAT ?? (env.NODE_ENV === 'production' ? 'json' : 'pretty'),
    silent,
  });
}

/**
 * Opens the store the environment names: Postgres via DATABASE_URL, else PGlite under DATA_DIR,
 * shared as `opts.share` says (the app owns and serves it; a command goes through the app).
 */
export async function createAppContext(
  env: Env,
  opts: { logger?: Logger; migrate?: boolean; share?: PgliteShare } = {},
): Promise<AppContext> {
  const logger = opts.logger ?? loggerFor(env);
  const { key: encryptionKey, file: devKeyFile } = resolveEncryptionKey(env);
  const dataDir = env.DATABASE_URL ? undefined : path.join(env.DATA_DIR, 'pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const store = await openStore({
    ...(env.DATABASE_URL ? { url: env.DATABASE_URL } : { dataDir, share: opts.share }),
    encryptionKey,
    migrate: opts.migrate,
    onPoolError: (e) => logger.warn('idle database connection closed; the next query reconnects', { error: e.message }),
  });
  return { env, logger, store, now: () => new Date(), ...(devKeyFile ? { devKeyFile } : {}), close: () => store.close() };
}
