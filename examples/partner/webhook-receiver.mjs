// A partner's webhook receiver: verifies each delivery with the `standardwebhooks` package and
// de-duplicates by webhook-id (README "Partner guide"). RAPPORT_WEBHOOK_SECRET is the whsec_… secret
// createWebhookEndpoint showed once; PORT where to listen.
import http from 'node:http';
import { Webhook } from 'standardwebhooks';

const wh = new Webhook(process.env.RAPPORT_WEBHOOK_SECRET);
const seen = new Set(); // use your database in production

http
  .createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      let event;
      try {
        event = wh.verify(body, req.headers); // the signature, and a timestamp within 5 minutes
      } catch {
        console.error('rejected: bad signature or stale timestamp');
        return res.writeHead(400).end();
      }
      const id = req.headers['webhook-id'];
      if (!seen.has(id)) {
        seen.add(id);
        console.log(JSON.stringify({ id, type: event.type, data: event.data }));
      }
      res.writeHead(204).end(); // any 2xx: delivered
    });
  })
  .listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
