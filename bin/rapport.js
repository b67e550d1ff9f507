#!/usr/bin/env node
// `npx rapport …`: runs the compiled CLI (dist/, built by `npm ci` and kept current by `npm start` / `npm run build`).
// npx puts node_modules/.bin first on PATH, so `node` above is the project's pinned Node (README "Start it").
'use strict';
const path = require('node:path');
require('node:module').enableCompileCache?.();
const entry = path.join(__dirname, '..', 'dist', 'src', 'cli', 'rapport.js');
try {
  require.resolve(entry);
} catch {
  console.error('rapport: no build in dist/ yet: run `npm run build` (npm ci does it too)');
  process.exit(1);
}
require(entry)
  .runCli(process.argv.slice(2))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
