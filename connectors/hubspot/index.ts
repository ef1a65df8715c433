/** What the rest of dealrisk imports from the HubSpot connector. */

export type { ConnectorLogger } from '../types.ts';
export type { HubSpotUsage } from './api.ts';
export { createHubSpotConnector, dealProperties, type HubSpotConnector, type HubSpotConnectorOptions } from './connector.ts';
export {
  CARD_DATA_PATH,
  type CardDeps,
  cardDataHandler,
  type DealRiskView,
  type HandlerRequest,
  type HandlerResponse,
  type SeenEventStore,
  verifySignatureV3,
  WEBHOOK_PATH,
  type WebhookDeps,
  webhookEventKey,
  webhookHandler,
} from './http-handlers.ts';
export {
  buildInstallUrl,
  createPkcePair,
  exchangeCode,
  HUBSPOT_OPTIONAL_SCOPES,
  HUBSPOT_SCOPES,
  type InstallUrlOptions,
  type PkcePair,
  pkceChallenge,
  refreshAccessToken,
  revokeToken,
  TOKEN_PATH,
  uninstallApp,
} from './oauth.ts';
export { DEFAULT_BUDGET, PortalPacer, type RateBudget, realClock } from './rate-pacer.ts';
export { hubspotRecordUrl } from './record-url.ts';
export { toAppError } from './to-app-error.ts';
