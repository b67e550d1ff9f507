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

it('every codegen output is fresh: test operations and the example web client (run `npm run codegen`)', () => {
  // The codegen CLI is ESM-heavy, so it runs as it would from npm, writing into a temporary folder
  // that mirrors the repo's paths; then every file it wrote must equal the committed one.
  const config = parseYaml(fs.readFileSync(path.join(root, 'codegen.yml'), 'utf8')) as { generates: Record<string, unknown> };
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-codegen-'));
  const generates = Object.fromEntries(Object.entries(config.generates).map(([target, output]) => [path.join(tmp, target) + (target.endsWith('/') ? '/' : ''), output]));
  fs.writeFileSync(path.join(tmp, 'codegen.json'), JSON.stringify({ ...config, generates }));
  execFileSync(process.execPath, [path.join(root, 'node_modules', '@graphql-codegen', 'cli', 'cjs', 'bin.js'), '--config', path.join(tmp, 'codegen.json')], { cwd: root, stdio: 'pipe' });
  const written = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? written(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const files = written(tmp).filter((f) => !f.endsWith('codegen.json'));
  expect(files.length).toBeGreaterThanOrEqual(Object.keys(config.generates).length);
  for (const file of files) expect([path.relative(tmp, file), fs.readFileSync(path.join(root, path.relative(tmp, file)), 'utf8')]).toEqual([path.relative(tmp, file), fs.readFileSync(file, 'utf8')]);
  fs.rmSync(tmp, { recursive: true, force: true });
}, 60_000);
