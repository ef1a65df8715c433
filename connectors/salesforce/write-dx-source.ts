import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultMapping } from '../../src/mapping/load.ts';
import { renderDxSource } from './dx-source.ts';

/** Regenerates force-app/ fields and permission sets from mappings/salesforce.yaml. */
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), 'force-app');
const writeBack = defaultMapping('salesforce').writeBack;
if (!writeBack) throw new Error('mappings/salesforce.yaml has no writeBack section');
for (const [rel, xml] of renderDxSource(writeBack)) {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, xml);
  console.log(path.relative(process.cwd(), file));
}
