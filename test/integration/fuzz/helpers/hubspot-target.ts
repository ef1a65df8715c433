import { Client } from '@hubspot/api-client';
import fc from 'fast-check';
import type { Sandbox } from '../../../../sandbox/index.ts';
import type { FuzzTarget } from './drive.ts';
import {
  amountValue,
  amountVerdict,
  CLOSE_BEFORE_CREATE_MS,
  type DateFormat,
  type DateValue,
  dateFormat,
  dateValue,
  dateVerdict,
  fieldText,
  formatDate,
  formatNumber,
  type NumberValue,
  storedText,
  type Verdict,
} from './hostile-values.ts';
import type { Expected } from './ledger.ts';

/** A rep's edit of one HubSpot deal: every property the shipped mapping reads that a user may write. */
export interface HubSpotEdit {
  dealname: string;
  amount: NumberValue;
  closedate: DateValue;
  closeFormat: DateFormat;
  createdate: DateValue;
  createFormat: DateFormat;
  /** '' clears it: a deal without a stage. */
  dealstage: string;
  nextStep: string;
  dealtype: string;
}

const STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
];
const DEALTYPE = new Map<string, string | null>([
  ['', null],
  ['newbusiness', 'new'],
  ['existingbusiness', 'expansion'],
  ['renewal', 'renewal'],
]);
// HubSpot holds at most 65,536 characters in a text property (docs/crm-limits.md); longer is refused.
const text = fieldText({ longest: 65_536, huge: 70_000 });

function edit(values: {
  amount: fc.Arbitrary<NumberValue>;
  date: fc.Arbitrary<DateValue>;
  stage: fc.Arbitrary<string>;
  coherent: boolean;
}): fc.Arbitrary<HubSpotEdit> {
  const e = fc.record({
    dealname: text,
    amount: values.amount,
    closedate: values.date,
    closeFormat: dateFormat,
    createdate: values.date,
    createFormat: dateFormat,
    dealstage: values.stage,
    nextStep: text,
    dealtype: fc.constantFrom(...DEALTYPE.keys()),
  });
  // A valid edit closes a deal no earlier than it was created.
  return values.coherent
    ? e.map((x) => (later(x.createdate, x.closedate) ? { ...x, createdate: x.closedate, closedate: x.createdate } : x))
    : e;
}

const later = (a: DateValue, b: DateValue): boolean => a.kind === 'instant' && b.kind === 'instant' && a.at > b.at;

/** Seven edits in eight keep to valid values (their text is as hostile as any); the eighth may break anything. */
export const hubspotEdit: fc.Arbitrary<HubSpotEdit> = fc.oneof(
  {
    weight: 7,
    arbitrary: edit({
      amount: amountValue.filter((v) => amountVerdict(v) === 'good'),
      date: dateValue.filter((v) => dateVerdict(v) === 'good'),
      stage: fc.constantFrom(...STAGES),
      coherent: true,
    }),
  },
  {
    weight: 1,
    arbitrary: edit({
      amount: amountValue,
      date: dateValue,
      stage: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...STAGES) }, { weight: 1, arbitrary: fc.constant('') }),
      coherent: false,
    }),
  },
);

const numberText = (v: NumberValue): string => (v.kind === 'blank' ? '' : v.kind === 'garbage' ? v.text : formatNumber(v.value, 'plain'));
const dateText = (v: DateValue, f: DateFormat): string => (v.kind === 'blank' ? '' : v.kind === 'garbage' ? v.text : formatDate(v.at, f));
const instant = (v: DateValue): Date | null => (v.kind === 'instant' ? new Date(v.at) : null);

/** The properties sent, as HubSpot's API receives them: every value a string. */
export function hubspotProperties(e: HubSpotEdit): Record<string, string> {
  return {
    dealname: e.dealname,
    amount: numberText(e.amount),
    closedate: dateText(e.closedate, e.closeFormat),
    createdate: dateText(e.createdate, e.createFormat),
    dealstage: e.dealstage,
    hs_next_step: e.nextStep,
    dealtype: e.dealtype,
  };
}

/** What must become of deal `id` after `e` (mapping: mappings/hubspot.yaml). */
export function hubspotExpected(id: string, e: HubSpotEdit): Expected {
  const status = e.dealstage === '' ? null : e.dealstage === 'closedwon' ? 'won' : e.dealstage === 'closedlost' ? 'lost' : 'open';
  const closed = status === 'won' || status === 'lost';
  const verdicts: Array<[string, Verdict]> = [
    ['amount', amountVerdict(e.amount)],
    ['expectedCloseDate', dateVerdict(e.closedate)],
    ['createdAt', dateVerdict(e.createdate)],
    ['stage.status', status === null ? 'bad' : 'good'],
  ];
  if (closed) verdicts.push(['closedAt', dateVerdict(e.closedate)]);
  const created = instant(e.createdate);
  const closedAt = closed ? instant(e.closedate) : null;
  if (
    closedAt &&
    created &&
    dateVerdict(e.closedate) === 'good' &&
    dateVerdict(e.createdate) === 'good' &&
    closedAt.getTime() < created.getTime() - CLOSE_BEFORE_CREATE_MS
  ) {
    verdicts.push(['closedAt', 'bad']);
  }
  const suspects = verdicts.filter(([, v]) => v !== 'good').map(([f]) => f);
  const verdict: Verdict = verdicts.some(([, v]) => v === 'bad') ? 'bad' : suspects.length ? 'odd' : 'good';
  return {
    id,
    verdict,
    suspects: [...new Set(suspects)],
    values:
      verdict === 'good'
        ? {
            name: storedText(e.dealname),
            amount: e.amount.kind === 'number' ? e.amount.value : null,
            expectedCloseDate: instant(e.closedate),
            createdAt: created,
            closedAt,
            'stage.status': status,
            nextStep: storedText(e.nextStep),
            dealType: DEALTYPE.get(e.dealtype) ?? null,
          }
        : {},
  };
}

/**
 * Edits live deals of the sandbox portal through HubSpot's batch update API, 100 at a time,
 * as the SDK sends them. A record HubSpot refuses (its own validation) is counted and left out.
 */
export function hubspotTarget(sb: Sandbox, tenantId: string): FuzzTarget<HubSpotEdit> {
  const client = () => new Client({ accessToken: sb.hubspot.issueTokens().access_token, basePath: sb.hubspot.apiBase });
  return {
    name: 'HubSpot deals',
    tenantId,
    source: 'hubspot',
    record: hubspotEdit,
    async plant(batch, run) {
      const live = sb.state.hubspot.deals().map((d) => d.id);
      const ids = batch.map((_, i) => live[(run * batch.length + i) % live.length]!);
      const c = client();
      const expected: Expected[] = [];
      let refused = 0;
      for (let i = 0; i < batch.length; i += 100) {
        const part = batch.slice(i, i + 100).map((e, k) => ({ id: ids[i + k]!, e }));
        const res = await c.crm.deals.batchApi.update({ inputs: part.map(({ id, e }) => ({ id, properties: hubspotProperties(e) })) });
        const failed = new Set(
          ('errors' in res ? (res.errors ?? []) : []).flatMap((x) => (x.context as { ids?: string[] } | undefined)?.ids ?? []),
        );
        for (const { id, e } of part) {
          if (failed.has(id)) refused++;
          else expected.push(hubspotExpected(id, e));
        }
      }
      return { expected, refused };
    },
    async riskFields(ids) {
      const out = new Map<string, { score: number | null; category: string | null }>();
      const c = client();
      // A batch read that names propertiesWithHistory (the SDK always does) takes 50 inputs.
      for (let i = 0; i < ids.length; i += 50) {
        const res = await c.crm.deals.batchApi.read({
          inputs: ids.slice(i, i + 50).map((id) => ({ id })),
          properties: ['risk_score', 'risk_category'],
          propertiesWithHistory: [],
        });
        for (const o of res.results)
          out.set(o.id, {
            score: o.properties.risk_score ? Number(o.properties.risk_score) : null,
            category: o.properties.risk_category ?? null,
          });
      }
      return out;
    },
  };
}
