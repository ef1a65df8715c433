import { actionOutcomeSuite } from '../helpers/action-world.ts';

// Months of daily-ish syncs with @hubspot/api-client against the sandbox portal, then the report against the known truth.
actionOutcomeSuite('hubspot', { deals: 2000, seed: 16, days: 180, stepDays: 3, noEffect: 'deal_review' });
