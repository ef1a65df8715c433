import path from 'node:path';
import { mappingJsonSchema } from './json-schema.ts';
import { MAPPINGS_DIR } from './load.ts';

/** mappings/schema.json: what `npm run mappings:schema` writes and a test compares. */
export const SCHEMA_FILE = path.join(MAPPINGS_DIR, 'schema.json');

/** The committed form of the JSON Schema: two-space JSON and a final newline. */
export const schemaFileText = (): string => `${JSON.stringify(mappingJsonSchema(), null, 2)}\n`;
