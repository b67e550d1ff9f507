'use strict';
/**
 * `node -r ./tests/helpers/ts-register.js src/cli/rapport.ts …`: what `-r ts-node/register/transpile-only`
 * does for the tests' CLI children (each .ts file transpiled alone with tsconfig.json's options: decorator
 * metadata included, no type check), but each file's JavaScript is kept on disk, keyed by a digest of its
 * text and of the compiler options. ts-node transpiled the ~240 modules of the app again in every child:
 * 5 CPU-seconds before the first row, some 20 children a suite run. Here the first child of a run fills
 * the cache and the others load TypeScript not at all. Node's own compile cache is switched on too.
 *
 * Cache: RAPPORT_TS_CACHE, else node_modules/.cache/rapport-ts (a fresh clone starts empty, which is fine).
 */
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const Module = require('node:module');

Module.enableCompileCache?.();

const root = path.join(__dirname, '..', '..');
const cacheDir = process.env.RAPPORT_TS_CACHE || path.join(root, 'node_modules', '.cache', 'rapport-ts');
const tsconfigPath = path.join(root, 'tsconfig.json');

let compiler; // { ts, options }: loaded on the first cache miss only
function load() {
  if (compiler) return compiler;
  const ts = require('typescript');
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfigPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n')); } });
  const options = { ...parsed.options, module: ts.ModuleKind.CommonJS, isolatedModules: true, sourceMap: false, inlineSourceMap: false, declaration: false, noEmit: false };
  compiler = { ts, options };
  return compiler;
}

// The options come from tsconfig.json and the TypeScript release: both go into every key.
const salt = crypto
  .createHash('sha1')
  .update(fs.readFileSync(tsconfigPath))
  .update(fs.readFileSync(require.resolve('typescript/package.json', { paths: [root] })))
  .update(fs.readFileSync(__filename))
  .digest('hex');

function transpile(source, filename) {
  const key = crypto.createHash('sha1').update(salt).update(filename).update('\0').update(source).digest('hex');
  const file = path.join(cacheDir, key.slice(0, 2), `${key}.js`);
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // not cached yet
  }
  const { ts, options } = load();
  const out = ts.transpileModule(source, { compilerOptions: options, fileName: filename, reportDiagnostics: false }).outputText;
  // Written whole under a temporary name, then renamed: a child reading at the same time sees all or nothing.
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, out);
  fs.renameSync(tmp, file);
  return out;
}

Module._extensions['.ts'] = function compileTs(module, filename) {
  if (filename.includes(`${path.sep}node_modules${path.sep}`)) throw new Error(`ts-register: not compiling ${filename} from node_modules`);
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
