import fs from 'node:fs';
import path from 'node:path';
import { policyMarkdown } from '../src/auth/policy-doc';

// Rewrites the access-policy table in README.md between its markers, from src/auth/policy.ts.
const file = path.join(__dirname, '..', 'README.md');
const readme = fs.readFileSync(file, 'utf8');
const start = '<!-- policy:start -->';
const end = '<!-- policy:end -->';
const i = readme.indexOf(start);
const j = readme.indexOf(end);
if (i < 0 || j < i) throw new Error(`README.md lacks ${start} … ${end}`);
fs.writeFileSync(file, `${readme.slice(0, i + start.length)}\n${policyMarkdown()}\n${readme.slice(j)}`);
console.log('README.md policy table updated');
