// npm run salesforce:dx-source: regenerates connectors/salesforce/force-app/ (fields and permission
// sets) from mappings/salesforce.yaml. Here rather than in connectors/: it loads the mapping file,
// and a connector is handed its mapping, never reads one.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDxSource } from '../../connectors/salesforce/dx-source.ts';
import { defaultMapping } from '../mapping/load.ts';

const root = path.resolve(import.meta.dirname, '../../connectors/salesforce/force-app');
const writeBack = defaultMapping('salesforce').writeBack;
if (!writeBack) throw new Error('mappings/salesforce.yaml has no writeBack section');
for (const [rel, xml] of renderDxSource(writeBack)) {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, xml);
  console.log(path.relative(process.cwd(), file));
}
