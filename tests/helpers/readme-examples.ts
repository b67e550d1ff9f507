/**
 * The runnable examples of a Markdown file (README.md): every fenced block in a GraphQL or shell
 * language. A block is left out when the line before its fence is `<!-- readme-test: skip … -->`
 * (say why after "skip"), or when its first line is `# notest: why`: for the few that must not run here (`npm start`, `npm test` itself, ids
 * that only exist on someone's server).
 *
 * - graphql / gql: one request per operation; a line `# variables` starts the variables (JSON).
 * - sh / bash / shell: run by bash from the repository root, `set -euo pipefail`.
 */
export interface ReadmeExample {
  kind: 'graphql' | 'shell';
  /** 1-based line of the opening fence, for messages. */
  line: number;
  /** The heading the block is under. */
  section: string;
  code: string;
  /** GraphQL only: the `# variables` JSON. */
  variables?: Record<string, unknown>;
}

const KINDS: Record<string, ReadmeExample['kind']> = { graphql: 'graphql', gql: 'graphql', sh: 'shell', bash: 'shell', shell: 'shell' };
export const SKIP_MARKER = /^<!--\s*readme-test:\s*skip\b.*-->\s*$/;
/**
 * `<!-- readme-test: own-test tests/….test.ts -->` on the line before a fence: the block is run by that
 * test, in order with the section's other such blocks (steps that share shell variables), not one by one.
 */
export const OWN_TEST_MARKER = /^<!--\s*readme-test:\s*own-test\s+(\S+)\s*-->\s*$/;
/** The same, as the block's first line: `# notest: why` (or `// notest: why`). */
export const NOTEST_LINE = /^\s*(#|\/\/)\s*notest\b/;

export function extractExamples(markdown: string): { examples: ReadmeExample[]; skipped: Array<{ line: number; section: string }>; ownTests: Array<ReadmeExample & { test: string }> } {
  const lines = markdown.split('\n');
  const examples: ReadmeExample[] = [];
  const ownTests: Array<ReadmeExample & { test: string }> = [];
  const skipped: Array<{ line: number; section: string }> = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^#{1,6}\s+(.*)$/.exec(lines[i]);
    if (heading) section = heading[1];
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!fence) continue;
    const [, , marks, lang] = fence;
    let end = i + 1;
    while (end < lines.length && !lines[end].trimStart().startsWith(marks)) end++;
    const body = lines.slice(i + 1, end).join('\n');
    const kind = KINDS[lang.toLowerCase()];
    const own = OWN_TEST_MARKER.exec(lines[i - 1]?.trim() ?? '');
    if (kind && own) ownTests.push({ kind, line: i + 1, section, code: body, test: own[1] });
    else if (kind) {
      if (SKIP_MARKER.test(lines[i - 1]?.trim() ?? '') || NOTEST_LINE.test(lines[i + 1] ?? '')) skipped.push({ line: i + 1, section });
      else examples.push(kind === 'graphql' ? graphqlExample(body, i + 1, section) : { kind, line: i + 1, section, code: body });
    }
    i = end;
  }
  return { examples, skipped, ownTests };
}

function graphqlExample(body: string, line: number, section: string): ReadmeExample {
  const split = /^#\s*variables\b.*$/m.exec(body);
  if (!split) return { kind: 'graphql', line, section, code: body };
  const json = body.slice(split.index + split[0].length);
  let variables: Record<string, unknown>;
  try {
    variables = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`README line ${line} (${section}): the # variables are not JSON: ${(err as Error).message}`);
  }
  return { kind: 'graphql', line, section, code: body.slice(0, split.index), variables };
}
