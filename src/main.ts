// npm start: the app on embedded defaults. With ROLE=all (the default) one process runs the web
// app and the worker; without CRM credentials it also runs the sandbox CRM and connects a demo
// tenant to each of its CRMs through the same OAuth flow an admin clicks through.
import { type Env, hasCrmCredentials, parseEnv } from '../config/env.ts';
import { type Sandbox, startSandbox } from '../sandbox/index.ts';
import { type AppContext, createAppContext } from './context.ts';
import { isAppError } from './core/errors.ts';
import { startMetrics } from './metrics/index.ts';
import { createScoringService } from './scoring/service.ts';
import { sandboxOAuthProviders } from './server/adapters/index.ts';
import { connectSandboxDemo } from './server/demo.ts';
import { createWebDeps, startWeb } from './server/index.ts';
import { startWorker, type Worker } from './worker/index.ts';

interface Running {
  web?: { url: string; close(): Promise<void> };
  worker?: Worker;
  sandbox?: Sandbox;
  metrics?: { close(): Promise<void> } | null;
  ctx: AppContext;
}

/** The sandbox's own OAuth clients stand in for the CRM credentials an admin would configure. */
function sandboxEnv(env: Env, sb: Sandbox): Env {
  return {
    ...env,
    SALESFORCE_CLIENT_ID: sb.salesforce.clientId,
    SALESFORCE_CLIENT_SECRET: sb.salesforce.clientSecret,
    SALESFORCE_LOGIN_URL: sb.salesforce.loginUrl,
    HUBSPOT_CLIENT_ID: sb.hubspot.clientId,
    HUBSPOT_CLIENT_SECRET: sb.hubspot.clientSecret,
  };
}

async function start(env: Env): Promise<Running> {
  const useSandbox = env.ROLE === 'all' && (env.SANDBOX ?? !hasCrmCredentials(env));
  // The app owns a PGlite DATA_DIR while it runs and serves it to `npx dealrisk` commands.
  let ctx = await createAppContext(env, { share: { role: 'app', label: `npm start (ROLE=${env.ROLE})` } });
  const log = ctx.logger.child({ module: 'main' });
  const running: Running = { ctx };

  if (useSandbox) {
    const sb = await startSandbox({
      port: env.SANDBOX_PORT,
      deals: env.SANDBOX_DEALS,
      seed: env.SANDBOX_SEED,
      pace: env.SANDBOX_PACE,
      clockStart: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000),
    });
    running.sandbox = sb;
    // In the demo the sandbox clock is the app's clock, so advancing it ages deals for both.
    ctx = { ...ctx, env: sandboxEnv(env, sb), now: () => sb.clock.now() };
    running.ctx = ctx;
    log.warn('no CRM credentials configured: running against the sandbox CRM (generated data, not a real org)', {
      sandbox: sb.url,
      deals: env.SANDBOX_DEALS,
    });
  }

  const scoring = createScoringService({ store: ctx.store });
  if (env.ROLE !== 'worker') {
    const deps = createWebDeps(ctx, {
      scoring,
      ...(running.sandbox
        ? {
            oauth: sandboxOAuthProviders(running.sandbox, ctx.logger),
            sandbox: { url: running.sandbox.url, deals: env.SANDBOX_DEALS, seed: env.SANDBOX_SEED },
          }
        : {}),
    });
    running.web = await startWeb(ctx, deps);
  }
  if (env.ROLE !== 'web') running.worker = startWorker(ctx);
  running.metrics = await startMetrics(ctx, { worker: env.ROLE !== 'web' });

  if (running.sandbox && running.web) {
    // Each start gets a fresh sandbox (new tokens, maybe a new port): reconnect both demo tenants.
    for (const crm of ['salesforce', 'hubspot'] as const) {
      await connectSandboxDemo(running.web.url, crm);
    }
    log.info('demo tenants connected to the sandbox CRM; the first sync, training and scoring run now');
  }
  if (running.web) {
    // The address to open is APP_URL: sign-in cookies belong to its host, and in development
    // another name for this server (localhost for 127.0.0.1) redirects there.
    const appUrl = env.APP_URL ?? running.web.url;
    log.info(`dealrisk is running: open ${appUrl} (APP_URL${env.APP_URL ? '' : ', from HOST and PORT'})`, { role: env.ROLE, appUrl });
  }
  // Said once, by the process that stores CRM tokens: commands on local files need no key.
  if (ctx.devKeyFile) {
    log.warn('ENCRYPTION_KEY is not set: CRM tokens are encrypted with a development key; set ENCRYPTION_KEY in production', {
      file: ctx.devKeyFile,
    });
  }
  return running;
}

async function stop(r: Running): Promise<void> {
  await r.worker?.stop();
  await r.metrics?.close();
  await r.web?.close();
  await r.sandbox?.close();
  await r.ctx.close();
}

try {
  const running = await start(parseEnv(process.env));
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    running.ctx.logger.info('shutting down', { signal });
    stop(running).then(
      () => process.exit(0),
      (e: unknown) => {
        running.ctx.logger.error('shutdown failed', { error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
} catch (e) {
  process.stderr.write(
    `dealrisk could not start: ${isAppError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
  );
  process.exit(isAppError(e) && ['config_invalid', 'mapping_invalid'].includes(e.code) ? 2 : 1);
}
