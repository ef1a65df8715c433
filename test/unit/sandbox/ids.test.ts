import { describe, expect, it } from 'vitest';
import { isWellFormedSfId, parseSfId, sfId, sfSuffix, toSfId18 } from '../../../sandbox/ids.ts';

describe('sandbox record ids', () => {
  it('computes the case-safety suffix exactly as Salesforce does', () => {
    // Real ids from the recorded payloads.
    expect(sfSuffix('001dM00003jU9Gx')).toBe('QAK');
    expect(sfSuffix('006dM00000Mw7Vt')).toBe('QAJ');
    expect(toSfId18('005dM00000aYf0q')).toBe('005dM00000aYf0qQAC');
  });

  it('round-trips the sequence number through an 18-character id and rejects a wrong suffix', () => {
    const id = sfId('006', 123_456);
    expect(id).toHaveLength(18);
    expect(isWellFormedSfId(id)).toBe(true);
    expect(parseSfId(id)).toEqual({ prefix: '006', n: 123_456 });
    expect(parseSfId(id.slice(0, 15))).toEqual({ prefix: '006', n: 123_456 });
    expect(parseSfId(`${id.slice(0, 15)}AAA`)).toBeNull();
  });
});
