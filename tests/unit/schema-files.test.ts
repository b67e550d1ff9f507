import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { printAppSchema } from '../../src/schema/print-schema';

const root = path.join(__dirname, '..', '..');

// Both files are reviewed artefacts: a change to the API must show in schema.graphql, and the
// typed test operations must be generated from the schema as it is.
it('schema.graphql is the SDL the code emits (run `npm run schema:emit`)', async () => {
  expect(fs.readFileSync(path.join(root, 'schema.graphql'), 'utf8')).toBe(await printAppSchema());
});

it('tests/generated/graphql.ts is fresh (run `npm run codegen`)', () => {
  // The codegen CLI is ESM-heavy, so it runs as it would from npm, writing to a temporary file.
  const config = parseYaml(fs.readFileSync(path.join(root, 'codegen.yml'), 'utf8')) as { generates: Record<string, unknown> };
  const [[target, output]] = Object.entries(config.generates);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-codegen-'));
  const out = path.join(tmp, 'graphql.ts');
  fs.writeFileSync(path.join(tmp, 'codegen.json'), JSON.stringify({ ...config, generates: { [out]: output } }));
  execFileSync(process.execPath, [path.join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', path.join(tmp, 'codegen.json')], { cwd: root, stdio: 'pipe' });
  expect(fs.readFileSync(path.join(root, target), 'utf8')).toBe(fs.readFileSync(out, 'utf8'));
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);
