import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { createApp, type WebOptions } from './app.ts';
import { randomToken } from './auth/tokens.ts';
import type { WebDeps } from './deps.ts';

export type { WebOptions } from './app.ts';
export { createApp } from './app.ts';
export type * from './deps.ts';

export interface StartWebOptions extends Partial<WebOptions> {
  /** Listen here instead of the environment's HOST and PORT (tests pass port 0). */
  host?: string;
  port?: number;
}

/**
 * The session secret: SESSION_SECRET, or in development one generated once and kept in the data
 * directory (sessions survive restarts). Production refuses to start without it.
 */
export function resolveSessionSecret(ctx: AppContext): string {
  if (ctx.env.SESSION_SECRET) return ctx.env.SESSION_SECRET;
  if (ctx.env.NODE_ENV === 'production') throw new AppError('config_invalid', 'SESSION_SECRET is required in production');
  const file = path.join(ctx.env.DATA_DIR, 'session.secret');
  if (!existsSync(file)) {
    mkdirSync(ctx.env.DATA_DIR, { recursive: true });
    writeFileSync(file, randomToken(48), { mode: 0o600 });
    ctx.logger.warn('SESSION_SECRET is not set: generated a development secret; set SESSION_SECRET in production', { file });
  }
  return readFileSync(file, 'utf8').trim();
}

/** Starts the web app on HOST:PORT (or the given ones); `close()` stops it and flushes the audit log. */
export async function startWeb(
  ctx: AppContext,
  deps: WebDeps,
  opts: StartWebOptions = {},
): Promise<{ url: string; close(): Promise<void> }> {
  if (ctx.env.NODE_ENV === 'production') {
    if (!ctx.env.APP_URL?.startsWith('https://')) throw new AppError('config_invalid', 'APP_URL must be an https URL in production');
    if (!ctx.env.ENCRYPTION_KEY) throw new AppError('config_invalid', 'ENCRYPTION_KEY is required in production');
  }
  const host = opts.host ?? ctx.env.HOST;
  const port = opts.port ?? ctx.env.PORT;
  const sessionSecret = opts.sessionSecret ?? resolveSessionSecret(ctx);
  // The public URL is known only after listening when port 0 was asked for.
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const local = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
  const appUrl = opts.appUrl ?? ctx.env.APP_URL ?? local;
  const app = createApp(ctx, deps, { ...opts, sessionSecret, appUrl });
  server.on('request', app);
  server.keepAliveTimeout = 65_000;
  ctx.logger.info('web app listening', { url: local, appUrl });
  return {
    url: local,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
      await app.close();
    },
  };
}

export { createWebDeps, type WebDepsOptions } from './adapters/index.ts';
