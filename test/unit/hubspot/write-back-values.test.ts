import { describe, expect, it } from 'vitest';
import { riskPropertySpecs } from '../../../connectors/hubspot/setup.ts';
import { keyInBody, keyMarker, taskInput } from '../../../connectors/hubspot/tasks.ts';
import { riskProperties } from '../../../connectors/hubspot/write-back.ts';

const names = {
  score: 'risk_score',
  category: 'risk_category',
  winProbability: 'risk_win_probability',
  drivers: 'risk_drivers',
  action: 'risk_recommended_action',
  scoredAt: 'risk_scored_at',
  modelStatus: 'risk_model_status',
};

describe('HubSpot write-back values', () => {
  it('writes every risk value as a string in the format its property type takes', () => {
    const p = riskProperties(
      {
        score: 71.6,
        category: 'High',
        winProbability: 0.31549,
        drivers: 'No activity for 41 days\nClose date pushed 3 times',
        action: 'Book a call with the economic buyer',
        scoredAt: new Date('2026-11-24T10:00:00Z'),
        modelStatus: 'ok',
      },
      names,
    );
    expect(p).toEqual({
      risk_score: '72',
      risk_category: 'High',
      risk_win_probability: '31.5',
      risk_drivers: 'No activity for 41 days\nClose date pushed 3 times',
      risk_recommended_action: 'Book a call with the economic buyer',
      risk_scored_at: '2026-11-24T10:00:00.000Z',
      risk_model_status: 'ok',
    });
    expect(Object.values(p).every((v) => typeof v === 'string')).toBe(true);
  });

  it('clips text to what a HubSpot string property holds', () => {
    const p = riskProperties(
      { score: 1, category: 'Low', winProbability: 1, drivers: 'x'.repeat(70_000), action: '', scoredAt: new Date(0), modelStatus: 'ok' },
      names,
    );
    expect(p.risk_drivers!.length).toBe(65_000);
  });

  it('defines properties with type/fieldType pairs HubSpot accepts', () => {
    const valid: Record<string, string[]> = {
      number: ['number'],
      enumeration: ['select', 'radio', 'checkbox'],
      string: ['text', 'textarea', 'html'],
      datetime: ['date'],
    };
    for (const s of riskPropertySpecs(names)) expect(valid[s.type]).toContain(s.fieldType);
    expect(
      riskPropertySpecs(names)
        .find((s) => s.name === 'risk_category')!
        .options!.map((o) => o.value),
    ).toEqual(['Low', 'Medium', 'High', 'Critical']);
  });

  it('builds a task with the required due date, the deal owner, its key in the body and association type 216', () => {
    const t = taskInput({
      key: 'd1:call-buyer',
      dealExternalId: '493593663734',
      ownerId: '88842095',
      subject: 'Call the buyer',
      description: 'Why: no activity for 41 days',
      priority: 'high',
      dueDate: new Date('2026-11-26T09:00:00Z'),
    });
    expect(t.properties).toMatchObject({
      hs_timestamp: '2026-11-26T09:00:00.000Z',
      hs_task_priority: 'HIGH',
      hubspot_owner_id: '88842095',
      hs_task_status: 'NOT_STARTED',
    });
    expect(t.properties.hs_task_body).toBe('Why: no activity for 41 days\n\n[dealrisk-key:d1:call-buyer]');
    expect(keyInBody(t.properties.hs_task_body)).toBe('d1:call-buyer');
    expect(t.associations).toEqual([
      { to: { id: '493593663734' }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 216 }] },
    ]);
  });

  it('clips a task subject and body to what a HubSpot text property holds, keeping the key at the end of the body', () => {
    // A deal named with 65,536 characters (HubSpot's most) makes a longer subject; drivers can be long too.
    // The cut falls inside a run of surrogate pairs.
    const name = '𝄞'.repeat(32_768);
    const t = taskInput({
      key: '40000000143:critical-alert:2026-11-24',
      dealExternalId: '40000000143',
      ownerId: null,
      subject: `Deal at critical risk (97/100): ${name}`,
      description: `- ${'d'.repeat(70_000)}`,
      priority: 'high',
      dueDate: new Date('2026-11-25T09:00:00Z'),
    });
    expect(t.properties.hs_task_subject!.length).toBeLessThanOrEqual(65_536);
    expect(t.properties.hs_task_subject).toMatch(/^Deal at critical risk \(97\/100\): 𝄞/);
    expect(t.properties.hs_task_body!.length).toBeLessThanOrEqual(65_536);
    expect(keyInBody(t.properties.hs_task_body)).toBe('40000000143:critical-alert:2026-11-24');
    // No half of a surrogate pair where the text was cut.
    // String.prototype.isWellFormed is ES2024 (Node 20 has it); the project's TypeScript lib stops at ES2023.
    const wellFormed = (s: string) => (s as unknown as { isWellFormed(): boolean }).isWellFormed();
    for (const v of [t.properties.hs_task_subject!, t.properties.hs_task_body!]) expect(wellFormed(v)).toBe(true);
  });

  it('reads a task key back from a body HubSpot has turned into HTML, whatever characters the key holds', () => {
    for (const key of ['493593663734:call-buyer', 'd 2:send (recap) & <follow> up!', 'ü:ß']) {
      const html = `<p>Why: it stalled</p><p>${keyMarker(key)}</p>`;
      expect(keyInBody(html)).toBe(key);
    }
    expect(keyInBody('A rep wrote this task by hand')).toBeNull();
    expect(keyInBody('[dealrisk-key:%E0%A4]')).toBeNull();
  });
});
