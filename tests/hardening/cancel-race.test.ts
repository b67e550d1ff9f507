import { Client } from 'pg';
import { GraphQLError } from 'graphql';
import { installQueryTracking, stopWork, type RequestWork } from '../../src/hardening/budget';
import { ADMIN_URL_DEFAULT } from '../helpers/pg';

/**
 * A stopped request cancels its statements with PostgreSQL's cancel request, which cancels whatever
 * the backend runs when it arrives. Here the stopped request's statement has already ended (as when a
 * client hangs up just as its answer comes back) and the connection is used at once for another
 * statement, as a pool hands it to the next request: that statement must not be the one cancelled.
 */
const adminUrl = process.env.TEST_ADMIN_DATABASE_URL ?? ADMIN_URL_DEFAULT;
let client: Client;
beforeAll(async () => {
  installQueryTracking();
  client = new Client({ connectionString: adminUrl });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
});

const stoppedWith = (c: Client): RequestWork => ({ rows: 0, fields: 0, maxRows: 1, maxFields: 1, running: new Map([[c, 1]]) });

it('a cancel sent for a statement that has ended does not cancel the next statement on the connection', async () => {
  for (let i = 0; i < 3; i++) {
    stopWork(stoppedWith(client), new GraphQLError('the client closed the connection'));
    // Promise, callback and submittable forms of pg's query, at once after the cancel.
    const viaPromise = await client.query('select pg_sleep(0.3), 1 as n');
    expect(viaPromise.rows).toEqual([{ pg_sleep: '', n: 1 }]);
    stopWork(stoppedWith(client), new GraphQLError('the client closed the connection'));
    const viaCallback = await new Promise((resolve, reject) => {
      client.query('select pg_sleep(0.3), 2 as n', (err: Error | null, res?: { rows: unknown[] }) => (err ? reject(err) : resolve(res!.rows)));
    });
    expect(viaCallback).toEqual([{ pg_sleep: '', n: 2 }]);
  }
});

it('still cancels a statement that is running', async () => {
  const running = client.query('select pg_sleep(30)');
  // Until the statement has reached the server.
  await new Promise((r) => setTimeout(r, 300));
  stopWork(stoppedWith(client), new GraphQLError('stopped'));
  await expect(running).rejects.toMatchObject({ code: '57014' });
  expect((await client.query('select 3 as n')).rows).toEqual([{ n: 3 }]);
});
