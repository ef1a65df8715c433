// Where the card fetches from. Set BACKEND_URL to your dealrisk APP_URL before `hs project upload`
// (it must also be listed in app-hsmeta.json permittedUrls.fetch). CARD_DATA_PATH must match
// connectors/hubspot/http-handlers.ts; a test in test/unit/hubspot checks both.
export const BACKEND_URL = 'https://dealrisk.example.com';
export const CARD_DATA_PATH = '/integrations/hubspot/card';
