'use strict';
/**
 * Longest test files first, so that neither of the two workers is left alone with a long file at the end.
 * Jest orders by the durations of earlier runs, kept in its cache; a fresh clone (CI) has none, and jest then
 * goes by file size, which put short files with long work (partition migration, planner differential,
 * embedded start) last. Here a file without a cached duration takes its figure from test-durations.json
 * (seconds of a full run, refreshed by hand with `node tests/helpers/sequencer.js RESULTS.json` after
 * `npx jest --json --outputFile RESULTS.json`); a file in neither runs first, as jest does with new files.
 */
const path = require('node:path');
const fs = require('node:fs');
const Sequencer = require('@jest/test-sequencer').default;

const durationsFile = path.join(__dirname, 'test-durations.json');
const root = path.join(__dirname, '..', '..');

class LongestFirst extends Sequencer {
  constructor(options) {
    super(options);
    this.known = JSON.parse(fs.readFileSync(durationsFile, 'utf8'));
  }

  time(test) {
    const cached = super.time(test);
    if (cached != null) return cached;
    const seconds = this.known[path.relative(root, test.path).split(path.sep).join('/')];
    return seconds == null ? undefined : seconds * 1000;
  }
}

module.exports = LongestFirst;

// Refresh test-durations.json from a jest --json result file.
if (require.main === module) {
  const results = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const out = {};
  for (const r of results.testResults.sort((a, b) => b.endTime - b.startTime - (a.endTime - a.startTime))) {
    out[path.relative(root, r.name).split(path.sep).join('/')] = Math.round((r.endTime - r.startTime) / 100) / 10;
  }
  fs.writeFileSync(durationsFile, JSON.stringify(out, null, 2) + '\n');
}
