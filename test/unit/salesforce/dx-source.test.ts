import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { renderDxSource } from '../../../connectors/salesforce/dx-source.ts';
import {
  categoryTheme,
  formatProbability,
  statusNote,
  toLines,
} from '../../../connectors/salesforce/force-app/main/default/lwc/dealRiskBadge/riskView.js';
import { DEFAULT_API_VERSION } from '../../../connectors/salesforce/index.ts';
import { defaultMapping } from '../../../src/mapping/load.ts';

const SF = path.resolve(import.meta.dirname, '../../../connectors/salesforce');
const APP = path.join(SF, 'force-app');
const DEFAULT = path.join(APP, 'main/default');
const writeBack = defaultMapping('salesforce').writeBack!;
const parser = new XMLParser({ ignoreAttributes: false });

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}
const read = (p: string) => readFileSync(p, 'utf8');
const files = walk(APP);

describe('Salesforce DX source (connectors/salesforce/force-app)', () => {
  it('holds only well-formed XML and templates', () => {
    const markup = files.filter((f) => /\.(xml|html)$/.test(f));
    expect(markup.length).toBeGreaterThanOrEqual(12);
    for (const f of markup) {
      // LWC templates bind with unquoted {expressions}; quoting them leaves a tag-balance check.
      const text = f.endsWith('.html') ? read(f).replace(/=\{([^}]*)\}/g, '="{$1}"') : read(f);
      const r = XMLValidator.validate(text, { allowBooleanAttributes: true });
      expect(r, path.relative(SF, f)).toBe(true);
    }
  });

  it('defines exactly the writeBack fields of mappings/salesforce.yaml, each file named by its fullName', () => {
    const fieldsDir = path.join(DEFAULT, 'objects/Opportunity/fields');
    const names = readdirSync(fieldsDir)
      .map((f) => f.replace('.field-meta.xml', ''))
      .sort();
    expect(names).toEqual(Object.values(writeBack.fields).sort());
    for (const n of names) expect(parser.parse(read(path.join(fieldsDir, `${n}.field-meta.xml`))).CustomField.fullName).toBe(n);
    const key = parser.parse(read(path.join(DEFAULT, `objects/Activity/fields/${writeBack.tasks.keyField}.field-meta.xml`))).CustomField;
    expect(key).toMatchObject({ fullName: writeBack.tasks.keyField, externalId: true, unique: true, type: 'Text' });
  });

  it('gives each field the type the issue asks for', () => {
    const type = (f: string) => parser.parse(read(path.join(DEFAULT, `objects/Opportunity/fields/${f}.field-meta.xml`))).CustomField;
    expect(type('Risk_Score__c')).toMatchObject({ type: 'Number', precision: 3, scale: 0 });
    expect(type('Risk_Category__c').valueSet.valueSetDefinition.value.map((v: { fullName: string }) => v.fullName)).toEqual([
      'Low',
      'Medium',
      'High',
      'Critical',
    ]);
    expect(type('Win_Probability__c').type).toBe('Percent');
    expect(type('Risk_Drivers__c').type).toBe('LongTextArea');
    expect(type('Recommended_Action__c').type).toBe('LongTextArea');
    expect(type('Risk_Scored_At__c').type).toBe('DateTime');
    expect(type('Risk_Model_Status__c').type).toBe('Text');
  });

  it('grants edit to the integration user and read to reps through two permission sets', () => {
    const perms = (n: string) =>
      parser.parse(read(path.join(DEFAULT, `permissionsets/${n}.permissionset-meta.xml`))).PermissionSet.fieldPermissions as Array<{
        field: string;
        editable: boolean;
        readable: boolean;
      }>;
    const riskFields = Object.values(writeBack.fields)
      .map((f) => `Opportunity.${f}`)
      .sort();
    const integration = perms('DealRisk_Integration');
    expect(integration.map((p) => p.field).sort()).toEqual(
      [`Event.${writeBack.tasks.keyField}`, `Task.${writeBack.tasks.keyField}`, ...riskFields].sort(),
    );
    expect(integration.every((p) => p.editable && p.readable)).toBe(true);
    const reader = perms('DealRisk_Reader');
    expect(reader.map((p) => p.field).sort()).toEqual(riskFields);
    expect(reader.every((p) => !p.editable && p.readable)).toBe(true);
  });

  it('matches what setup() creates through the Metadata API (regenerate with write-dx-source.ts)', () => {
    for (const [rel, xml] of renderDxSource(writeBack)) expect(read(path.join(APP, rel)), rel).toBe(xml);
  });

  it('reads every risk field in the record-page component, and only those', () => {
    const js = read(path.join(DEFAULT, 'lwc/dealRiskBadge/dealRiskBadge.js'));
    const imported = [...js.matchAll(/@salesforce\/schema\/Opportunity\.([A-Za-z0-9_]+)/g)].map((m) => m[1]).sort();
    expect(imported).toEqual(Object.values(writeBack.fields).sort());
    expect(js).toContain("from 'lightning/uiRecordApi'");
    const meta = parser.parse(read(path.join(DEFAULT, 'lwc/dealRiskBadge/dealRiskBadge.js-meta.xml'))).LightningComponentBundle;
    expect(meta.targetConfigs.targetConfig.objects.object).toBe('Opportunity');
    expect(String(meta.apiVersion.toFixed(1))).toBe(DEFAULT_API_VERSION);
    expect(JSON.parse(read(path.join(SF, 'sfdx-project.json'))).sourceApiVersion).toBe(DEFAULT_API_VERSION);
  });

  it('colours each category with its own style', () => {
    const css = read(path.join(DEFAULT, 'lwc/dealRiskBadge/dealRiskBadge.css'));
    const themes = ['Low', 'Medium', 'High', 'Critical'].map(categoryTheme);
    expect(new Set(themes).size).toBe(4);
    for (const t of themes) expect(css).toMatch(new RegExp(`\\.badge_${t} \\{\\s*background: #[0-9a-f]{6}`));
    expect(categoryTheme('Severe')).toBe('unknown');
  });
});

describe('record-page component view helpers', () => {
  it('lists one driver or action per line, without the bullets the writer added', () => {
    expect(toLines('- No activity for 41 days\n\n2. Close date pushed 3 times\r\n• Deal is old')).toEqual([
      { key: 'line-0', text: 'No activity for 41 days' },
      { key: 'line-1', text: 'Close date pushed 3 times' },
      { key: 'line-2', text: 'Deal is old' },
    ]);
    expect(toLines(null)).toEqual([]);
  });

  it('shows the win probability percent and a caveat unless the model is ok', () => {
    expect(formatProbability(28.35)).toBe('28%');
    expect(formatProbability(null)).toBe('—');
    expect(statusNote('ok')).toBeNull();
    expect(statusNote('no_signal')).toMatch(/not a prediction/);
  });
});
