// Prints the README's table of config.ini keys from the schema (run after a build).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { configSchema, chatInstanceSchema, fileInstanceSchema, iniKey, envName } = createRequire(join(root, 'common', 'package.json'))('@parley/common');

const def = (f) => (f.default === undefined ? '(required)' : f.default === '' ? '""' : String(f.default));
const rows = ['| section | key | default | env override | meaning |', '|---|---|---|---|---|'];
for (const [section, fields] of Object.entries(configSchema)) {
  for (const [key, f] of Object.entries(fields)) rows.push(`| ${section} | ${iniKey(key)} | ${def(f)} | ${envName(section, key)} | ${f.doc} |`);
}
for (const [key, f] of Object.entries(chatInstanceSchema)) rows.push(`| chat.<id> | ${iniKey(key)} | ${def(f)} | ${envName('chat.<ID>', key)} | ${f.doc} |`);
for (const [key, f] of Object.entries(fileInstanceSchema)) rows.push(`| file.<id> | ${iniKey(key)} | ${def(f)} | ${envName('file.<ID>', key)} | ${f.doc} |`);
console.log(rows.join('\n'));
