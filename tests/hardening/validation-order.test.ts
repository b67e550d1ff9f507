import { startTestApp, type TestApp } from '../helpers/test-server';
import { post } from './helpers';

/**
 * README "Limits": depth, aliases, directives and duplicated fields are decided on the whole document
 * before graphql-js' own validation rules look at it. Its OverlappingFieldsCanBeMerged rule compares
 * every pair of fields sharing a response key, so 4,990 repeated `__typename` (within MAX_TOKENS) cost
 * an anonymous request a few hundred ms of CPU while the duplicates limit already refused it.
 */
let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

it('refuses a document over a limit with that limit alone, before graphql-js compares its fields pairwise', async () => {
  // `a` names two different fields: an overlap error, if graphql-js' rules ran on this document.
  const query = `{ a: __typename a: __schema { queryType { name } } ${'__typename '.repeat(4900)}}`;
  const res = await post(app.url, { query });
  expect(res.status).toBe(400);
  expect(res.json.errors).toEqual([
    expect.objectContaining({ extensions: expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'duplicates', max: 100, actual: 4900 }) }),
  ]);
});

it('decides the limits before the fragments defined ahead of the operation are validated', async () => {
  const query = `fragment F on Query { a: __typename a: __schema { queryType { name } } ${'__typename '.repeat(300)}} { ...F }`;
  const res = await post(app.url, { query });
  expect(res.status).toBe(400);
  expect(res.json.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ limit: 'duplicates', actual: 300 }) })]);
});

it('still answers graphql-js validation errors of a document within the limits, all of them', async () => {
  const res = await post(app.url, { query: '{ a: __typename a: __schema { queryType { name } } nope }' });
  expect(res.status).toBe(400);
  expect(res.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED']);
  expect(res.json.errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/conflict.*Cannot query field "nope"|Cannot query field "nope".*conflict/s);
});
