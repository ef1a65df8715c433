// `node --import ./test/helpers/record-packages.mjs ...`: appends the npm package of every module
// the process loads to the file named by RECORD_PACKAGES, one line each (tests of what loads when).
import { register } from 'node:module';

register('./record-packages-hooks.mjs', import.meta.url, { data: { file: process.env.RECORD_PACKAGES } });
