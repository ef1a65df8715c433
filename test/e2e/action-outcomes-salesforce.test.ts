import { actionOutcomeSuite } from '../helpers/action-world.ts';

// Months of daily-ish syncs with jsforce against the sandbox org, then the report against the known truth.
actionOutcomeSuite('salesforce', { deals: 2000, seed: 16, days: 180, stepDays: 3, noEffect: 'deal_review' });
