import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import { startTestApp, type TestApp } from '../helpers/test-server';
import { actorOf, AuditRecorder, auditWrite, auditWrites, withActor } from '../../src/auth/audit';
import { Keyring } from '../../src/auth/pseudonyms';
import { Role, type Viewer } from '../../src/auth/viewer';

/**
 * The audit log's writers, row by row: who is recorded as the actor, which role and key, which
 * customers and fields, and that a batch is one row. The served-schema tests (privacy, ingest) show
 * that each path writes them; this file pins what each row holds.
 */
let app: TestApp;
let em: EntityManager;
beforeAll(async () => {
  app = await startTestApp();
  em = app.orm.em.fork() as EntityManager;
});
afterAll(async () => {
  await app?.close();
});

interface Row { actor: string; role: string; api_key_id: string | null; action: string; operation: string | null; customer_id: string | null; customer_ids: string[] | null; fields: string[] }
const rowsOf = (requestId: string) => app.sql<Row>(
  `select actor, role, api_key_id, action, operation, customer_id, customer_ids, fields from audit_log where request_id = ? order by customer_id nulls first`, [requestId]);

const keyring = new Keyring(['an audit test key of enough length to be accepted']);
const partner: Viewer = { role: Role.PARTNER, subject: 'api-key:shop', apiKeyId: randomUUID(), scopes: [] };
const support: Viewer = { role: Role.SUPPORT, subject: 'agent@example.com' };

describe('actorOf', () => {
  it('names nobody as system, a key by its name, a token subject only by its keyed pseudonym', () => {
    expect(actorOf(null, keyring)).toBe('system');
    expect(actorOf(partner, keyring)).toBe('api-key:shop');
    const pseudonym = actorOf(support, keyring);
    expect(pseudonym).toBe(keyring.actor('agent@example.com'));
    expect(pseudonym).not.toContain('agent');
    // Set once per request: an actor already set is kept whatever the subject.
    expect(actorOf({ ...support, actor: 'sub:fixed' }, keyring)).toBe('sub:fixed');
    expect(withActor(support, keyring)).toEqual({ ...support, actor: pseudonym });
  });
});

describe('AuditRecorder', () => {
  it('writes one READ row per customer, with each field once and sorted, then forgets them', async () => {
    const rec = new AuditRecorder();
    const [a, b] = [randomUUID(), randomUUID()].sort();
    rec.recordRead(b, 'phone');
    rec.recordRead(a, 'email');
    rec.recordRead(b, 'birthDate');
    rec.recordRead(b, 'phone');
    expect(rec.pendingReads).toBe(2);
    const requestId = randomUUID();
    const viewer = withActor(partner, keyring);
    await rec.flushReads(em, viewer, requestId, 'customer360');
    expect(rec.pendingReads).toBe(0);
    expect(await rowsOf(requestId)).toEqual([
      { actor: 'api-key:shop', role: 'partner', api_key_id: partner.apiKeyId, action: 'READ', operation: 'customer360', customer_id: a, customer_ids: null, fields: ['email'] },
      { actor: 'api-key:shop', role: 'partner', api_key_id: partner.apiKeyId, action: 'READ', operation: 'customer360', customer_id: b, customer_ids: null, fields: ['birthDate', 'phone'] },
    ]);
    // Flushed reads are not written again, and nothing read writes nothing.
    await rec.flushReads(em, viewer, requestId, 'customer360');
    expect(await rowsOf(requestId)).toHaveLength(2);
    const none = randomUUID();
    await new AuditRecorder().flushReads(em, viewer, none, null);
    expect(await rowsOf(none)).toEqual([]);
  });

  it('records a token viewer without a key', async () => {
    const rec = new AuditRecorder();
    const c = randomUUID();
    rec.recordRead(c, 'email');
    const requestId = randomUUID();
    await rec.flushReads(em, withActor(support, keyring), requestId, null);
    expect(await rowsOf(requestId)).toEqual([
      { actor: keyring.actor('agent@example.com'), role: 'support', api_key_id: null, action: 'READ', operation: null, customer_id: c, customer_ids: null, fields: ['email'] },
    ]);
  });
});

describe('AuditRecorder under concurrency (group commit)', () => {
  it('writes the reads of requests that finish while an insert is on its way in one statement, each request answered only after its rows are committed', async () => {
    // Another session holds a lock that makes the first insert wait: the requests that flush meanwhile queue up.
    const blocker = new Client({ connectionString: app.config.databaseUrl });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table audit_log in share mode');
      const ids = Array.from({ length: 5 }, () => randomUUID());
      const customers = ids.map(() => randomUUID());
      const settled: boolean[] = ids.map(() => false);
      const flushes = ids.map((requestId, i) => {
        const rec = new AuditRecorder();
        rec.recordRead(customers[i], i % 2 ? 'email' : 'phone');
        return rec.flushReads(em, withActor(i % 2 ? partner : support, keyring), requestId, `op${i}`).then(() => { settled[i] = true; });
      });
      // The first insert waits on the lock (seen in pg_stat_activity); nobody is answered before it is written.
      for (let n = 0; ; n++) {
        const waiting = await app.sql<{ n: number }>(`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like 'insert into audit_log%'`);
        if (waiting[0].n > 0) break;
        if (n > 400) throw new Error('the audit insert never waited on the lock');
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(settled).toEqual([false, false, false, false, false]);
      await blocker.query('commit');
      await Promise.all(flushes);

      const rows = await app.sql<{ request_id: string; xmin: string; customer_id: string; actor: string; role: string; operation: string; fields: string[] }>(
        `select request_id, xmin::text, customer_id, actor, role, operation, fields from audit_log where request_id = any(?::text[])`, [`{${ids.join(',')}}`]);
      const byRequest = new Map(rows.map((r) => [r.request_id, r]));
      // Every request's own row, with its own actor, role, operation and fields…
      ids.forEach((id, i) => expect(byRequest.get(id)).toMatchObject({
        customer_id: customers[i], operation: `op${i}`, fields: [i % 2 ? 'email' : 'phone'],
        role: i % 2 ? 'partner' : 'support', actor: i % 2 ? 'api-key:shop' : keyring.actor('agent@example.com'),
      }));
      // …the first alone in its transaction, the four that queued behind it together in the next one.
      const xmins = ids.map((id) => byRequest.get(id)!.xmin);
      expect(new Set(xmins.slice(1)).size).toBe(1);
      expect(xmins[1]).not.toBe(xmins[0]);
    } finally {
      await blocker.end();
    }
  });

  it('inside a caller\'s transaction, the rows go into that transaction and roll back with it', async () => {
    const requestId = randomUUID();
    const rec = new AuditRecorder();
    rec.recordRead(randomUUID(), 'email');
    let inside: unknown[] = [];
    await expect(em.fork().transactional(async (tem) => {
      await rec.flushReads(tem as EntityManager, withActor(support, keyring), requestId, null);
      inside = await (tem as EntityManager).execute('select 1 from audit_log where request_id = ?', [requestId]);
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(inside).toHaveLength(1);
    expect(await rowsOf(requestId)).toEqual([]);
  });
});

describe('auditWrite', () => {
  it('writes one WRITE row with the fields, the role and the key', async () => {
    const requestId = randomUUID();
    const c = randomUUID();
    await auditWrite(em, withActor(partner, keyring), requestId, 'recordOrder', c, ['email', 'first_name']);
    expect(await rowsOf(requestId)).toEqual([
      { actor: 'api-key:shop', role: 'partner', api_key_id: partner.apiKeyId, action: 'WRITE', operation: 'recordOrder', customer_id: c, customer_ids: null, fields: ['email', 'first_name'] },
    ]);
  });

  it('records a write with no viewer as the system, with no customer and no fields', async () => {
    const requestId = randomUUID();
    await auditWrite(em, null, requestId, 'retention', null);
    expect(await rowsOf(requestId)).toEqual([
      { actor: 'system', role: 'system', api_key_id: null, action: 'WRITE', operation: 'retention', customer_id: null, customer_ids: null, fields: [] },
    ]);
  });
});

describe('auditWrites (a batch: one row)', () => {
  it('names one customer in customer_id', async () => {
    const requestId = randomUUID();
    const c = randomUUID();
    await auditWrites(em, withActor(support, keyring), requestId, 'ingestEvents', [c, c]);
    expect(await rowsOf(requestId)).toEqual([
      { actor: keyring.actor('agent@example.com'), role: 'support', api_key_id: null, action: 'WRITE', operation: 'ingestEvents', customer_id: c, customer_ids: null, fields: [] },
    ]);
  });

  it('names several customers in customer_ids, each once and sorted', async () => {
    const requestId = randomUUID();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await auditWrites(em, withActor(partner, keyring), requestId, 'ingestEvents', [ids[2], ids[0], ids[1], ids[0]]);
    expect(await rowsOf(requestId)).toEqual([
      { actor: 'api-key:shop', role: 'partner', api_key_id: partner.apiKeyId, action: 'WRITE', operation: 'ingestEvents', customer_id: null, customer_ids: [...ids].sort(), fields: [] },
    ]);
  });

  it('writes nothing for no customer, and names the system when there is no viewer', async () => {
    const empty = randomUUID();
    await auditWrites(em, withActor(partner, keyring), empty, 'ingestEvents', []);
    expect(await rowsOf(empty)).toEqual([]);
    const requestId = randomUUID();
    const [a, b] = [randomUUID(), randomUUID()].sort();
    await auditWrites(em, null, requestId, 'import', [b, a]);
    expect(await rowsOf(requestId)).toEqual([
      { actor: 'system', role: 'system', api_key_id: null, action: 'WRITE', operation: 'import', customer_id: null, customer_ids: [a, b], fields: [] },
    ]);
  });
});
