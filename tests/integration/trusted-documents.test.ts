import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { Role } from '../../src/auth/viewer';
import { upsertCustomer } from '../../src/services/customer.service';
import { toGlobalId } from '../../src/schema/global-id';
import { loadTrustedDocuments } from '../../src/hardening/trusted-documents';
import { execute } from '../../examples/web-client/src/client';
import { CustomerCardQuery, RecordPageViewMutation } from '../../examples/web-client/src/operations';

/**
 * Trusted documents (TRUSTED_DOCUMENTS, README "Trusted documents") with the example web client's
 * own manifest, and automatic persisted queries where the mode is off.
 */
const MANIFEST = path.join(__dirname, '..', '..', 'examples', 'web-client', 'src', 'gql', 'persisted-documents.json');
const sha256 = (t: string) => createHash('sha256').update(t).digest('hex');

async function post(url: string, body: unknown, token: string) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('with TRUSTED_DOCUMENTS', () => {
  let app: TestApp;
  let token: string;
  let customerId: string;
  beforeAll(async () => {
    app = await startTestApp({ TRUSTED_DOCUMENTS: MANIFEST });
    const created = await upsertCustomer(app.orm.em.fork() as EntityManager, { email: 'trusted@example.com', firstName: 'Tru' });
    customerId = toGlobalId('Customer', created.customer.id);
    token = await app.tokenFor(Role.ADMIN);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('runs the typed example client’s operations by their id', async () => {
    const card = await execute(CustomerCardQuery, { id: customerId }, { endpoint: app.url, token, persisted: true });
    expect(card.errors).toBeUndefined();
    expect(card.data?.customer).toMatchObject({ id: customerId, firstName: 'Tru', email: 'trusted@example.com', orders: { totalCount: 0 } });
    const viewed = await execute(RecordPageViewMutation, { customerId, path: '/lamps' }, { endpoint: app.url, token, persisted: true });
    expect(viewed.errors).toBeUndefined();
    expect(viewed.data?.recordInteraction.duplicate).toBe(false);
    // The APQ shape of the same id works too.
    const hash = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    const [id] = Object.keys(hash).filter((k) => hash[k].startsWith('query CustomerCard'));
    const apq = await post(app.url, { variables: { id: customerId }, extensions: { persistedQuery: { version: 1, sha256Hash: id.replace('sha256:', '') } } }, token);
    expect(apq.body.data.customer.id).toBe(customerId);
  });

  it('refuses any other document before parsing it, and never registers one', async () => {
    const free = await post(app.url, { query: '{ customers(first: 1) { nodes { email } } }' }, token);
    expect(free.status).toBe(400);
    expect(free.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ID_REQUIRED');
    const unknown = await post(app.url, { documentId: `sha256:${'0'.repeat(64)}` }, token);
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    // An APQ registration (hash and text) of an unlisted document is refused, and stays refused.
    const text = '{ customers(first: 1) { nodes { id } } }';
    const register = await post(app.url, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } }, token);
    expect(register.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    const again = await post(app.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } } }, token);
    expect(again.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    // A GraphQL-over-HTTP GET is held to the same list.
    const get = await fetch(`${app.url}?query=${encodeURIComponent('{ products(first: 1) { nodes { id } } }')}`, { headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
  });

  it('runs a free-form query whose text is itself in the list', async () => {
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Record<string, string>;
    const text = Object.values(manifest).find((t) => t.startsWith('query CustomerCard'))!;
    const res = await post(app.url, { query: text, variables: { id: customerId } }, token);
    expect(res.status).toBe(200);
    expect(res.body.data.customer.id).toBe(customerId);
  });
});

describe('the manifest', () => {
  it('is refused at start when a hash is not its document’s, or the file is not a manifest', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-trusted-'));
    const write = (name: string, content: string) => (fs.writeFileSync(path.join(dir, name), content), path.join(dir, name));
    expect(() => loadTrustedDocuments(write('forged.json', JSON.stringify({ [`sha256:${sha256('{ a }')}`]: '{ customers(first: 100) { nodes { email } } }' })))).toThrow(/does not hash to it/);
    expect(() => loadTrustedDocuments(write('list.json', '["{ a }"]'))).toThrow(/JSON object/);
    expect(() => loadTrustedDocuments(write('bad.json', '{'))).toThrow(/as JSON/);
    expect(loadTrustedDocuments(MANIFEST).size).toBe(2);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('automatic persisted queries (trusted documents off)', () => {
  let app: TestApp;
  let token: string;
  beforeAll(async () => {
    app = await startTestApp();
    token = await app.tokenFor(Role.ADMIN);
  });
  afterAll(async () => {
    await app?.close();
  });

  it('registers a document by hash and text, then runs it by hash, under the same limits', async () => {
    const text = '{ products(first: 2) { totalCount } }';
    const ext = { persistedQuery: { version: 1, sha256Hash: sha256(text) } };
    const miss = await post(app.url, { extensions: ext }, token);
    expect(miss.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await post(app.url, { query: text, extensions: ext }, token);
    expect(registered.body.errors).toBeUndefined();
    const hit = await post(app.url, { extensions: ext }, token);
    expect(hit.body.data.products.totalCount).toBe(0);
    // A document over a limit is refused when registered, and so never runs by its hash either.
    const deep = `{ customers(first: 1) { nodes { ${'orders(first: 1) { nodes { customer { '.repeat(8)}id${' } } }'.repeat(8)} } } }`;
    const deepExt = { persistedQuery: { version: 1, sha256Hash: sha256(deep) } };
    const refused = await post(app.url, { query: deep, extensions: deepExt }, token);
    expect(refused.body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const byHash = await post(app.url, { extensions: deepExt }, token);
    expect(byHash.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
