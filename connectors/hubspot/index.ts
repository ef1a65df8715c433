/** What the rest of dealrisk imports from the HubSpot connector. */
export { createHubSpotConnector, dealProperties, type HubSpotConnector, type HubSpotConnectorOptions } from './connector.ts';
export { buildInstallUrl, createPkcePair, exchangeCode, pkceChallenge, refreshAccessToken, revokeToken, uninstallApp, HUBSPOT_SCOPES, TOKEN_PATH, type InstallUrlOptions, type PkcePair } from './oauth.ts';
export {
  CARD_DATA_PATH,
  WEBHOOK_PATH,
  cardDataHandler,
  webhookEventKey,
  verifySignatureV3,
  webhookHandler,
  type CardDeps,
  type DealRiskView,
  type HandlerRequest,
  type HandlerResponse,
  type SeenEventStore,
  type WebhookDeps,
} from './http-handlers.ts';
export { toAppError } from './to-app-error.ts';
export { DEFAULT_BUDGET, PortalPacer, realClock, type RateBudget } from './rate-pacer.ts';
export type { HubSpotUsage, ConnectorLogger } from './api.ts';
