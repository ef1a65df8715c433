// npm run mappings:schema: regenerates mappings/schema.json from the zod schema.
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILE, schemaFileText } from './schema-file.ts';

writeFileSync(SCHEMA_FILE, schemaFileText());
console.log(`wrote ${SCHEMA_FILE}`);
