// Prints the test files whose behaviour depends on the store: those that read TEST_DATABASE_URL
// themselves or import, through any chain of relative imports, a test file that does
// (test/helpers/store.ts opens every test store). The PostgreSQL run of .ci/run runs only these:
// every other file never opens a database, or opens a PGlite data directory of its own, and
// would repeat the PGlite run unchanged (the app reads DATABASE_URL, never TEST_DATABASE_URL).
import fs from 'node:fs';
import path from 'node:path';

const walk = (dir) =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));

const importPattern = /from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]/g;
const known = new Map();

/** Whether `file`, or anything it imports from test/, reads TEST_DATABASE_URL. */
function usesTestDatabase(file, visiting = new Set()) {
  if (known.has(file)) return known.get(file);
  if (visiting.has(file) || !fs.existsSync(file)) return false;
  visiting.add(file);
  const source = fs.readFileSync(file, 'utf8');
  let uses = source.includes('TEST_DATABASE_URL');
  for (const m of uses ? [] : source.matchAll(importPattern)) {
    const target = path.normalize(path.join(path.dirname(file), m[1] ?? m[2]));
    if (target.startsWith(`test${path.sep}`) && usesTestDatabase(target, visiting)) {
      uses = true;
      break;
    }
  }
  known.set(file, uses);
  return uses;
}

const files = walk('test')
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => usesTestDatabase(f))
  .sort();
if (files.length === 0) throw new Error('no test file reads TEST_DATABASE_URL: test/helpers/store.ts has moved');
console.log(files.join('\n'));
