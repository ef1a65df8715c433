/**
 * Record ids shaped like the real ones. Salesforce: 3-character key prefix, 12 characters of
 * body, and the 3-character case-safety suffix computed exactly as Salesforce does, so an
 * 18-character id round-trips through tools that check it. HubSpot: numeric strings.
 */

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
/** The "pod" characters after the key prefix; fixed for the sandbox org. */
const POD = 'Dx';

export const SF_PREFIX = {
  Account: '001',
  Contact: '003',
  User: '005',
  Opportunity: '006',
  OpportunityHistory: '008',
  OpportunityFieldHistory: '017',
  OpportunityContactRole: '00K',
  OpportunityStage: '01J',
  Task: '00T',
  Organization: '00D',
  PermissionSet: '0PS',
  PermissionSetAssignment: '0Pa',
  CustomField: '00N',
  QueryLocator: '01g',
  BulkJob: '750',
} as const;
export type SfKeyPrefix = (typeof SF_PREFIX)[keyof typeof SF_PREFIX];

function base62(n: number, width: number): string {
  let s = '';
  let v = Math.floor(n);
  while (v > 0) {
    s = B62[v % 62] + s;
    v = Math.floor(v / 62);
  }
  return s.padStart(width, '0');
}

/** The case-safety suffix that turns a 15-character id into 18 characters. */
export function sfSuffix(id15: string): string {
  let out = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    out += SUFFIX[bits];
  }
  return out;
}

/** An 18-character Salesforce id for the n-th record with this key prefix. */
export function sfId(prefix: string, n: number): string {
  const id15 = prefix + POD + base62(n, 10);
  return id15 + sfSuffix(id15);
}

/** The key prefix and sequence number encoded in a sandbox id (15 or 18 characters), or null. */
export function parseSfId(id: string): { prefix: string; n: number } | null {
  if (id.length !== 15 && id.length !== 18) return null;
  const id15 = id.slice(0, 15);
  if (id.length === 18 && sfSuffix(id15) !== id.slice(15).toUpperCase()) return null;
  if (id15.slice(3, 5) !== POD) return null;
  let n = 0;
  for (const ch of id15.slice(5)) {
    const v = B62.indexOf(ch);
    if (v < 0) return null;
    n = n * 62 + v;
  }
  return { prefix: id15.slice(0, 3), n };
}

/** Normalises a 15-character id to 18 characters; other strings pass through. */
export function toSfId18(id: string): string {
  return /^[a-zA-Z0-9]{15}$/.test(id) ? id + sfSuffix(id) : id;
}

/** Salesforce accepts only 15/18 alphanumeric characters as an id. */
export const isWellFormedSfId = (id: string): boolean =>
  /^[a-zA-Z0-9]{15}$/.test(id) || (/^[a-zA-Z0-9]{18}$/.test(id) && sfSuffix(id.slice(0, 15)) === id.slice(15).toUpperCase());

/** HubSpot object ids: large numeric strings, distinct ranges per object type. */
export const HS_ID_BASE = {
  deals: 40_000_000_000,
  companies: 20_000_000_000,
  contacts: 70_000_000_000,
  tasks: 90_000_000_000,
  owners: 60_000_000,
} as const;
export type HsIdKind = keyof typeof HS_ID_BASE;

export const hsId = (kind: HsIdKind, n: number): string => String(HS_ID_BASE[kind] + n);

/** The sequence number of a HubSpot id of this kind, or null when it is not one of ours. */
export function parseHsId(kind: HsIdKind, id: string): number | null {
  if (!/^\d+$/.test(id)) return null;
  const n = Number(id) - HS_ID_BASE[kind];
  return Number.isSafeInteger(n) && n >= 0 && n < 10_000_000_000 ? n : null;
}
