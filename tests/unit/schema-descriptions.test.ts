import { buildSchema } from 'graphql';
import { buildAppSchema, buildBareSchema } from '../../src/schema/build-schema';
import { applyDescriptions, describables } from '../../src/schema/describe';
import { descriptions } from '../../src/schema/descriptions';

// GraphiQL's docs pane is the API reference for front-end teams, partners and analysts: every type,
// field, argument, input field and enum value of the emitted SDL must say what it is. A new field
// fails here until it has a description (in its decorator, or in src/schema/descriptions.ts).
it('every element of the schema has a description', async () => {
  const missing = describables(await buildBareSchema()).filter((d) => !d.description?.trim()).map((d) => d.key);
  expect(missing).toEqual([]);
});

// GraphiQL reads the served schema (permission layer, and the federation subgraph), not the emitted SDL.
it('the served schemas carry the same descriptions as the emitted one', async () => {
  const described = (s: Awaited<ReturnType<typeof buildBareSchema>>) => Object.fromEntries(describables(s).map((d) => [d.key, d.description]));
  const bare = described(await buildBareSchema());
  for (const served of [await buildAppSchema(), await buildAppSchema({ federation: { maxRepresentations: 10 } })]) {
    const got = described(served);
    expect(Object.keys(bare).filter((k) => got[k] !== bare[k])).toEqual([]);
  }
});

it('the table only fills gaps: a description written in the code wins, unknown keys are ignored', () => {
  const schema = buildSchema(`
    """From the code."""
    type Query { """From the code."""  a(x: Int): E  b: Int }
    enum E { ON OFF }
  `);
  applyDescriptions(schema, { Query: 'table', 'Query.a': 'table', 'Query.a(x)': 'x from table', 'Query.b': 'b from table', 'E.ON': 'on from table', 'Query.gone': 'nothing' });
  const byKey = Object.fromEntries(describables(schema).map((d) => [d.key, d.description]));
  expect(byKey).toEqual({ Query: 'From the code.', 'Query.a': 'From the code.', 'Query.a(x)': 'x from table', 'Query.b': 'b from table', E: undefined, 'E.ON': 'on from table', 'E.OFF': undefined });
});

// Keys may be written ahead for fields other branches are adding, so a key that matches nothing is
// only reported, not a failure; a typo shows up here and as a missing description above.
it('every description key is well-formed; keys that match nothing in the schema are only reported', async () => {
  expect(Object.keys(descriptions).filter((k) => !/^\w+(\.\w+(\(\w+\))?)?$/.test(k) || !descriptions[k].trim())).toEqual([]);
  const keys = new Set(describables(await buildBareSchema()).map((d) => d.key));
  const unknown = Object.keys(descriptions).filter((k) => !keys.has(k));
  if (unknown.length) console.warn(`descriptions.ts keys not in this schema (${unknown.length}; other branches' names?):\n${unknown.join('\n')}`);
});
