import { buildBareSchema } from '../../src/schema/build-schema';
import { describables } from '../../src/schema/describe';
import { descriptions } from '../../src/schema/descriptions';

// GraphiQL's docs pane is the API reference for front-end teams, partners and analysts: every type,
// field, argument, input field and enum value of the emitted SDL must say what it is. A new field
// fails here until it has a description (in its decorator, or in src/schema/descriptions.ts).
it('every element of the schema has a description', async () => {
  const missing = describables(await buildBareSchema()).filter((d) => !d.description?.trim()).map((d) => d.key);
  expect(missing).toEqual([]);
});

// Keys may be written ahead for fields other branches are adding, so a key that matches nothing is
// only reported, not a failure; a typo shows up here and as a missing description above.
it('lists description keys that match nothing in the schema (warning only)', async () => {
  const keys = new Set(describables(await buildBareSchema()).map((d) => d.key));
  const unknown = Object.keys(descriptions).filter((k) => !keys.has(k));
  if (unknown.length) console.warn(`descriptions.ts keys not in the schema (${unknown.length}):\n${unknown.join('\n')}`);
  expect(Object.keys(descriptions).length).toBeGreaterThan(0);
});
