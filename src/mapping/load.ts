import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { AppError } from '../core/errors.ts';
import { type Mapping, parseMapping } from './schema.ts';

/** The repository's mappings/ folder. */
export const MAPPINGS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../mappings');

/** Parses YAML (or JSON) text; a syntax error names the document and line. */
export function parseMappingText(text: string, where: string): Mapping {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    const line = e instanceof YAMLParseError ? ` (line ${e.linePos?.[0]?.line ?? '?'})` : '';
    throw new AppError('mapping_invalid', `${where}${line}: not valid YAML: ${(e as Error).message.split('\n')[0]}`, {
      path: where,
      cause: e,
    });
  }
  return parseMapping(doc, where);
}

/** Loads and validates one mapping file; errors name the file and the key path. */
export function loadMappingFile(file: string): Mapping {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new AppError('mapping_invalid', `${file}: cannot read mapping file: ${(e as Error).message}`, { path: file, cause: e });
  }
  return parseMappingText(text, file);
}

/**
 * Loads every mapping in a folder (start-up validates them all, so a broken file stops the
 * app with its path and key). Keyed by file name without extension: `salesforce`, `ibm.csv`.
 */
export function loadMappingDir(dir = MAPPINGS_DIR): Map<string, Mapping> {
  const out = new Map<string, Mapping>();
  // schema.json beside the mappings is their JSON Schema, not a mapping.
  for (const f of readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'schema.json')
    .sort()) {
    out.set(f.replace(/\.(ya?ml|json)$/, ''), loadMappingFile(path.join(dir, f)));
  }
  return out;
}

/** The default mapping of a CRM (mappings/salesforce.yaml, mappings/hubspot.yaml). */
export function defaultMapping(source: 'salesforce' | 'hubspot', dir = MAPPINGS_DIR): Mapping {
  return loadMappingFile(path.join(dir, `${source}.yaml`));
}
