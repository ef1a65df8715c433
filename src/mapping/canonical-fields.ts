import type { CanonicalField } from './schema.ts';

/**
 * What each canonical field feeds, in one line: shown in editors (mappings/schema.json) and kept
 * in step with docs/mappings.md by a test. "Open deals only" marks process features the model
 * trusts only on open deals and on snapshots taken while a deal was open (a closed deal's final
 * values would leak its outcome).
 */
export const CANONICAL_FIELD_NOTES: Record<CanonicalField, string> = {
  name: 'The deal name shown in lists, in the CRM and in action texts ({dealName}); not a model input.',
  amount: 'Model feature "Amount" (banded by quantiles); pipeline value, risk-adjusted pipeline and revenue at risk.',
  currency:
    "ISO code of the amount (Salesforce CurrencyIsoCode, HubSpot deal_currency_code): pipeline figures convert each amount to the CRM's corporate currency at the rate for its close date; blank means the corporate currency. Not a model input.",
  'stage.label': 'Model feature "Stage" (open deals only; closed deals use their stage history); shown to reps.',
  'stage.status': 'Required: open, won or lost. Won and lost deals are what the model learns from; open deals are scored.',
  'stage.order': 'Position of the stage in its pipeline; stands in for the stage label when the label is empty.',
  pipeline: 'Model feature "Pipeline" (a segment).',
  createdAt:
    'Deal age ("Deal age" feature, actions on ageDays) and, with closedAt, replaying closed deals at past ages and sales-cycle medians.',
  expectedCloseDate: 'Model feature "Days to expected close" (open deals only); actions on daysToClose.',
  closedAt:
    'When a won or lost deal closed: the backtest holds out the latest deals by it, training keeps the latest, and with createdAt it gives cycle lengths.',
  'owner.id': 'Model feature "Owner" (the id, else the name); owner filters.',
  'owner.name': 'Shown for the owner; the "Owner" feature when there is no owner.id; action texts ({owner}).',
  'account.id': 'Stored with the deal; not a model input.',
  'account.name': 'Stored with the deal; not a model input.',
  'account.industry': 'Model feature "Industry" (a segment); default segment for similar deals and cycle medians.',
  'account.region': 'Model feature "Region" (a segment).',
  'account.country': 'Model feature "Country" (a segment).',
  'account.size': 'Model feature "Company size" (a segment, e.g. an employee band).',
  product: 'Model feature "Product" (a segment); default segment for similar deals and cycle medians.',
  leadSource: 'Model feature "Lead source" (a segment).',
  dealType: 'Model feature "Deal type": one of new, renewal, expansion (map the CRM values with `values`).',
  forecastCategory:
    'Model feature "Forecast category" (open deals only); the rep\'s call (Commit, Best Case, Pipeline, Omitted) that forecast reconciliation sets against the model.',
  crmProbability:
    'The CRM\'s own win probability, 0..1: model feature "CRM probability" (open deals only), and the score itself before any deal has closed.',
  lastActivityAt: 'Model feature "Days since activity" (open deals only); actions on daysSinceActivity.',
  activityCount: 'Stored with the deal; not a model input yet.',
  contactsCount: 'Model feature "Contacts" (open deals only); actions on contactsCount.',
  stageEnteredAt: 'Model feature "Days in stage" (open deals only); actions on daysInStage.',
  closeDatePushes: 'Model feature "Close-date pushes" (open deals only); actions on closeDatePushes.',
  nextStep: 'Stored with the deal; not a model input.',
  modifiedAt: 'When the source last changed the record: sync cursors and echo detection; not a model input.',
  stageHistory: 'The stages a deal went through (a connector builds it): the stage of a closed deal at past ages, and time in stage.',
};
