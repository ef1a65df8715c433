import path from 'node:path';
import { createCsvConnector } from '../../connectors/csv/index.ts';
import { createHubSpotConnector } from '../../connectors/hubspot/index.ts';
import { createSalesforceConnector } from '../../connectors/salesforce/index.ts';
import type { Connector } from '../../connectors/types.ts';
import type { AppContext } from '../context.ts';
import { AppError } from '../core/errors.ts';
import { loadMappingFile, MAPPINGS_DIR } from '../mapping/load.ts';
import { resolveMapping } from '../mapping/resolve.ts';
import type { Connection } from '../store/repos/connections.ts';

/**
 * Builds the connector of a stored connection: the tenant's mapping (override or default), its
 * sealed credentials through a CredentialStore, the app's OAuth client from the environment.
 * A broken mapping throws `mapping_invalid` naming the document and key: that run fails, no other.
 */
export async function makeConnector(ctx: AppContext, connection: Connection): Promise<Connector> {
  const { tenantId } = connection;
  const log = ctx.logger.child({ module: 'connector', tenantId, connectionId: connection.id, crm: connection.crm });
  switch (connection.crm) {
    case 'csv':
      return csvConnector(connection);
    case 'hubspot': {
      const mapping = await resolveMapping(ctx.store, tenantId, 'hubspot');
      return createHubSpotConnector({
        tenantId,
        mapping,
        credentials: ctx.store.connections.credentialStore(tenantId, connection.id, ctx.now),
        ...(ctx.env.HUBSPOT_CLIENT_ID ? { clientId: ctx.env.HUBSPOT_CLIENT_ID } : {}),
        ...(ctx.env.HUBSPOT_CLIENT_SECRET ? { clientSecret: ctx.env.HUBSPOT_CLIENT_SECRET } : {}),
        ...(connection.instanceUrl ? { basePath: connection.instanceUrl } : {}),
        ...(connection.accountId ? { portalId: connection.accountId } : {}),
        logger: log,
        now: ctx.now,
      });
    }
    case 'salesforce': {
      const mapping = await resolveMapping(ctx.store, tenantId, 'salesforce');
      // The deployment's OAuth client; with the sandbox CRM, main.ts puts the sandbox's client in env.
      const clientId = ctx.env.SALESFORCE_CLIENT_ID;
      const clientSecret = ctx.env.SALESFORCE_CLIENT_SECRET;
      if (!clientId || !clientSecret) {
        throw new AppError('config_invalid', 'SALESFORCE_CLIENT_ID and SALESFORCE_CLIENT_SECRET must be set to sync a Salesforce org', {
          path: 'SALESFORCE_CLIENT_ID',
        });
      }
      // The org counts a rolling 24 h: our runs' calls and the change poll's between them.
      const dayAgo = new Date(ctx.now().getTime() - 86_400_000);
      const windowCalls =
        (await ctx.store.syncRuns.callsSince(tenantId, connection.id, dayAgo)) +
        (await ctx.store.changePollCalls.since(tenantId, connection.id, dayAgo)).calls;
      return createSalesforceConnector({
        tenantId,
        mapping,
        credentials: ctx.store.connections.credentialStore(tenantId, connection.id, ctx.now),
        clientId,
        clientSecret,
        apiVersion: ctx.env.SALESFORCE_API_VERSION,
        ...(ctx.env.SALESFORCE_LOGIN_URL ? { loginUrl: ctx.env.SALESFORCE_LOGIN_URL } : {}),
        windowCalls,
        logger: log,
      });
    }
  }
}

/**
 * A file as a connection (settings: `file`, `mapping`): handy for trying the loop on the shared
 * datasets. Relative mapping names resolve against mappings/.
 */
function csvConnector(connection: Connection): Connector {
  const file = connection.settings.file;
  const mappingRef = connection.settings.mapping;
  if (typeof file !== 'string' || typeof mappingRef !== 'string') {
    throw new AppError('config_invalid', `connection ${connection.id}: a CSV connection needs settings.file and settings.mapping`, {
      path: 'settings',
    });
  }
  const mappingFile =
    path.isAbsolute(mappingRef) || mappingRef.includes('/')
      ? mappingRef
      : path.join(MAPPINGS_DIR, `${mappingRef.replace(/\.ya?ml$/, '')}.yaml`);
  return createCsvConnector({ tenantId: connection.tenantId, mapping: loadMappingFile(mappingFile), file });
}
