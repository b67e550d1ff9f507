import fs from 'node:fs';
import path from 'node:path';
import { serverAudits, type AuditResult } from 'graphql-http';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { leaks } from './helpers';

/**
 * The graphql-http audit suite (GraphQL over HTTP spec) against the real server, as an anonymous
 * client would meet it (no credentials, no Apollo preflight header). Every MUST passes; the SHOULD
 * and MAY results are listed in README's "GraphQL over HTTP compliance", which must match this run.
 */
let app: TestApp;
let results: AuditResult[];
beforeAll(async () => {
  app = await startTestApp();
  results = [];
  for (const audit of serverAudits({ url: app.url })) results.push(await audit.fn());
});
afterAll(async () => {
  await app?.close();
});

const level = (r: AuditResult) => r.name.split(' ')[0] as 'MUST' | 'SHOULD' | 'MAY';
const passed = (r: AuditResult) => r.status === 'ok';

function table(rs: AuditResult[]): string {
  const count = (lvl: string, ok: boolean) => rs.filter((r) => level(r) === lvl && passed(r) === ok).length;
  const lines = [
    `graphql-http ${require('graphql-http/package.json').version} \`serverAudits\`: ` +
      ['MUST', 'SHOULD', 'MAY'].map((l) => `${l} ${count(l, true)} passed, ${count(l, false)} failed`).join('; ') + '.',
    '',
    '| audit | result |',
    '|---|---|',
    ...rs.map((r) => `| \`${r.id}\` ${r.name} | ${passed(r) ? 'pass' : `**fail**: ${'reason' in r ? r.reason.replace(/\|/g, '\\|').replace(/\s+/g, ' ') : ''}`} |`),
  ];
  return lines.join('\n');
}

it('passes every MUST audit', async () => {
  const failedMust = results.filter((r) => level(r) === 'MUST' && !passed(r)).map((r) => `${r.id} ${r.name}: ${'reason' in r ? r.reason : ''}`);
  expect(failedMust).toEqual([]);
  expect(results.filter((r) => level(r) === 'MUST').length).toBeGreaterThan(10);
});

it('answers every audit request without a 5xx or a leak', async () => {
  for (const r of results) {
    if ('response' in r) {
      expect(r.response.status).toBeLessThan(500);
      expect(leaks(await r.response.clone().text().catch(() => ''))).toBeUndefined();
    }
  }
});

it("README's compliance list is this run's", () => {
  const generated = table(results);
  const out = path.join(__dirname, '..', '..', 'test-results', 'graphql-http-audit.md');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${generated}\n`);
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const m = /<!-- graphql-http:start -->\n([\s\S]*?)\n<!-- graphql-http:end -->/.exec(readme);
  // To update: copy test-results/graphql-http-audit.md between the markers.
  expect(m?.[1]).toBe(generated);
});
