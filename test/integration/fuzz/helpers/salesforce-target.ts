import fc from 'fast-check';
import jsforce from 'jsforce';
import type { Sandbox } from '../../../../sandbox/index.ts';
import type { FuzzTarget } from './drive.ts';
import {
  amountValue,
  amountVerdict,
  atMidnight,
  CLOSE_BEFORE_CREATE_MS,
  type DateValue,
  dateValue,
  dateVerdict,
  fieldText,
  hostileText,
  isoDay,
  type NumberValue,
  storedText,
  type Verdict,
} from './hostile-values.ts';
import type { Expected } from './ledger.ts';

/** A rep's edit of one Opportunity: the writable fields mappings/salesforce.yaml reads. */
export interface SalesforceEdit {
  Name: string;
  Amount: NumberValue;
  /** Sent as a JSON number, or as the text of one (Salesforce takes both). */
  amountAsText: boolean;
  CloseDate: DateValue;
  NextStep: string;
  LeadSource: string;
  Type: string;
  Probability: NumberValue;
}

// The Opportunity fields' lengths (Name 120, NextStep 255): longer is refused with STRING_TOO_LONG.
// A Map: a Type of "constructor" or "__proto__" must find nothing, as it does in the mapping.
const TYPES = new Map<string, 'new' | 'expansion' | 'renewal'>([
  ['new customer', 'new'],
  ['new business', 'new'],
  ['existing customer - upgrade', 'expansion'],
  ['existing customer - replacement', 'renewal'],
  ['existing customer - downgrade', 'renewal'],
  ['renewal', 'renewal'],
  ['expansion', 'expansion'],
  ['upsell', 'expansion'],
]);

const percent: fc.Arbitrary<NumberValue> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 100 }).map((value) => ({ kind: 'number' as const, value })) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 100, noNaN: true }).map((value) => ({ kind: 'number' as const, value })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
);
const badPercent: fc.Arbitrary<NumberValue> = fc.oneof(
  percent,
  fc.integer({ min: -999, max: 999 }).map((value) => ({ kind: 'number' as const, value })),
);

// Salesforce rounds a percent to the field's scale (0 places) and a currency to 2 places.
const rounded = (v: NumberValue, places: number): number | null =>
  v.kind === 'number' ? Math.round(v.value * 10 ** places) / 10 ** places : null;
const probabilityVerdict = (v: NumberValue): Verdict => {
  const p = rounded(v, 0);
  return p === null || (p >= 0 && p <= 100) ? 'good' : 'bad';
};

function edit(o: {
  amount: fc.Arbitrary<NumberValue>;
  date: fc.Arbitrary<DateValue>;
  probability: fc.Arbitrary<NumberValue>;
}): fc.Arbitrary<SalesforceEdit> {
  return fc.record({
    Name: fieldText({ longest: 120, huge: 121 }),
    Amount: o.amount,
    amountAsText: fc.boolean(),
    // A CloseDate is required: blank is not a value a rep can save.
    CloseDate: o.date.filter((d) => d.kind !== 'blank').map(atMidnight),
    NextStep: fieldText({ longest: 255, huge: 256 }),
    LeadSource: hostileText,
    Type: fc.oneof(fc.constantFrom('New Customer', 'Existing Customer - Upgrade', 'renewal ', ' UPSELL', ''), hostileText),
    Probability: o.probability,
  });
}

export const salesforceEdit: fc.Arbitrary<SalesforceEdit> = fc.oneof(
  {
    weight: 7,
    arbitrary: edit({
      amount: amountValue.filter((v) => amountVerdict(v) === 'good'),
      date: dateValue.filter((v) => dateVerdict(v) === 'good'),
      probability: percent,
    }),
  },
  { weight: 1, arbitrary: edit({ amount: amountValue, date: dateValue, probability: badPercent }) },
);

/** The record as jsforce sends it (sObject Collections PATCH). */
export function salesforceRecord(id: string, e: SalesforceEdit): Record<string, unknown> {
  const amount =
    e.Amount.kind === 'blank'
      ? null
      : e.Amount.kind === 'garbage'
        ? e.Amount.text
        : e.amountAsText
          ? String(e.Amount.value)
          : e.Amount.value;
  const close = e.CloseDate.kind === 'garbage' ? e.CloseDate.text : e.CloseDate.kind === 'instant' ? isoDay(e.CloseDate.at) : null;
  return {
    Id: id,
    Name: e.Name,
    Amount: amount,
    CloseDate: close,
    NextStep: e.NextStep,
    LeadSource: e.LeadSource,
    Type: e.Type,
    Probability: e.Probability.kind === 'number' ? e.Probability.value : null,
  };
}

/** What must become of Opportunity `id` after `e` (mapping: mappings/salesforce.yaml), given what it was. */
export function salesforceExpected(id: string, e: SalesforceEdit, was: { createdAt: number; closed: boolean }): Expected {
  const amount = rounded(e.Amount, 2);
  const verdicts: Array<[string, Verdict]> = [
    ['amount', e.Amount.kind === 'number' ? amountVerdict({ kind: 'number', value: amount! }) : amountVerdict(e.Amount)],
    ['expectedCloseDate', dateVerdict(e.CloseDate)],
    ['crmProbability', probabilityVerdict(e.Probability)],
  ];
  // A closed deal's closedAt is when it entered its closed stage, or its CloseDate when history does not say.
  const close = e.CloseDate.kind === 'instant' ? e.CloseDate.at : null;
  if (was.closed && (close === null || dateVerdict(e.CloseDate) !== 'good' || close < was.createdAt - CLOSE_BEFORE_CREATE_MS))
    verdicts.push(['closedAt', 'odd']);
  const suspects = [...new Set(verdicts.filter(([, v]) => v !== 'good').map(([f]) => f))];
  const verdict: Verdict = verdicts.some(([, v]) => v === 'bad') ? 'bad' : suspects.length ? 'odd' : 'good';
  const p = rounded(e.Probability, 0);
  return {
    id,
    verdict,
    suspects,
    values:
      verdict === 'good'
        ? {
            name: storedText(e.Name),
            amount,
            expectedCloseDate: e.CloseDate.kind === 'instant' ? new Date(e.CloseDate.at) : null,
            nextStep: storedText(e.NextStep),
            leadSource: storedText(e.LeadSource),
            dealType: TYPES.get((storedText(e.Type) ?? '').toLowerCase()) ?? null,
            crmProbability: p === null ? null : p / 100,
          }
        : {},
  };
}

/**
 * Edits live Opportunities of the sandbox org through sObject Collections (jsforce, 200 a call,
 * allOrNone false). A record Salesforce refuses (its own validation) is counted and left out.
 */
export function salesforceTarget(sb: Sandbox, tenantId: string): FuzzTarget<SalesforceEdit> {
  const conn = () => {
    const tokens = sb.salesforce.issueTokens();
    return new jsforce.Connection({ instanceUrl: tokens.instance_url, accessToken: tokens.access_token, version: sb.salesforce.version });
  };
  return {
    name: 'Salesforce opportunities',
    tenantId,
    source: 'salesforce',
    record: salesforceEdit,
    async plant(batch, run) {
      // Open deals first: most of the org is closed, and open deals are the ones scored and written back.
      const all = sb.state.salesforce.opportunities();
      const live = [...all.filter((o) => o.IsClosed !== true), ...all.filter((o) => o.IsClosed === true)];
      const picked = batch.map((_, i) => live[(run * batch.length + i) % live.length]!);
      const c = conn();
      const expected: Expected[] = [];
      let refused = 0;
      for (let i = 0; i < batch.length; i += 200) {
        const part = batch.slice(i, i + 200).map((e, k) => ({ opp: picked[i + k]!, e }));
        const results = await c
          .sobject('Opportunity')
          .update(part.map(({ opp, e }) => salesforceRecord(opp.Id as string, e)) as never, { allOrNone: false });
        part.forEach(({ opp, e }, k) => {
          if (!results[k]?.success) refused++;
          else
            expected.push(
              salesforceExpected(opp.Id as string, e, {
                createdAt: Date.parse(String(opp.CreatedDate).replace(/([+-]\d{2})(\d{2})$/, '$1:$2')),
                closed: opp.IsClosed === true,
              }),
            );
        });
      }
      return { expected, refused };
    },
    async riskFields(ids) {
      const out = new Map<string, { score: number | null; category: string | null }>();
      const c = conn();
      for (let i = 0; i < ids.length; i += 200) {
        const list = ids
          .slice(i, i + 200)
          .map((id) => `'${id}'`)
          .join(',');
        const r = await c.query<{ Id: string; Risk_Score__c: number | null; Risk_Category__c: string | null }>(
          `SELECT Id, Risk_Score__c, Risk_Category__c FROM Opportunity WHERE Id IN (${list})`,
        );
        for (const x of r.records) out.set(x.Id, { score: x.Risk_Score__c, category: x.Risk_Category__c });
      }
      return out;
    },
  };
}
