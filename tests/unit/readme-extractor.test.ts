import { extractExamples } from '../helpers/readme-examples';

// The README test's extractor: what it runs, what a marker leaves out, how variables are read.
const md = [
  '# Title',
  '## Section A',
  '```graphql',
  'query One { a }',
  'query Two { b }',
  '# variables',
  '{"x": 1}',
  '```',
  '<!-- readme-test: skip (placeholder ids) -->',
  '```graphql',
  'query { c(id: "…") }',
  '```',
  '### Section B',
  '```sh',
  'curl -s http://127.0.0.1:4000/healthz',
  '```',
  '```js',
  'console.log(1)',
  '```',
  '```',
  'plain text',
  '```',
  '```sh',
  '# notest: needs a tool of its own',
  'rover --version',
  '```',
  '````bash',
  'cat <<EOF',
  '```',
  'EOF',
  '````',
].join('\n');

it('takes GraphQL and shell blocks with their section and line, honours the skip marker, and reads # variables', () => {
  const { examples, skipped } = extractExamples(md);
  expect(examples).toEqual([
    { kind: 'graphql', line: 3, section: 'Section A', code: 'query One { a }\nquery Two { b }\n', variables: { x: 1 } },
    { kind: 'shell', line: 14, section: 'Section B', code: 'curl -s http://127.0.0.1:4000/healthz' },
    { kind: 'shell', line: 27, section: 'Section B', code: 'cat <<EOF\n```\nEOF' },
  ]);
  expect(skipped).toEqual([{ line: 10, section: 'Section A' }, { line: 23, section: 'Section B' }]);
});

it('says where variables that are not JSON are', () => {
  expect(() => extractExamples('## S\n```graphql\nquery { a }\n# variables\n{nope}\n```')).toThrow(/README line 2 \(S\): the # variables are not JSON/);
});
