import http from 'node:http';

export interface Received {
  id: string;
  headers: Record<string, string>;
  body: string;
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
}

/** What the receiver does with one request: answer with a status, or never answer (hang). */
export type Behaviour = (req: Received, n: number) => number | 'hang';

/** A real local HTTP receiver: records every request and answers as `behaviour` says. */
export async function startReceiver(behaviour: Behaviour = () => 200) {
  const received: Received[] = [];
  const hanging = new Set<http.ServerResponse>();
  let current = behaviour;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const r: Received = { id: headers['webhook-id'], headers, body, payload: JSON.parse(body) };
      received.push(r);
      const answer = current(r, received.length);
      if (answer === 'hang') {
        hanging.add(res);
        return;
      }
      res.statusCode = answer;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    /** Distinct webhook-ids answered 2xx… as recorded by the sender; here: every id seen. */
    ids: () => new Set(received.map((r) => r.id)),
    setBehaviour(b: Behaviour) {
      current = b;
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Waits until `cond` holds (polling); fails with `what` after `ms`. Not a timing assertion: a bound on waiting. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
