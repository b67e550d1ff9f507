import fs from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response } from 'express';

/**
 * The customer-360 console at /console: a static page and its ES modules (compiled from
 * src/console/web by tsconfig.console.json into dist/console). Everything it shows comes from the
 * GraphQL API under the token the viewer pastes in: the server hands the page no data and no token.
 */
export interface ConsoleOptions {
  /** Where the page POSTs operations (a path on this server). */
  endpoint: string;
  /** The compiled modules; default: dist/console under the repository root. */
  assetDir?: string;
}

/** The repository root: the nearest folder up from here holding package.json (src/… or dist/src/…). */
function repositoryRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('console: no package.json above ' + __dirname);
    dir = up;
  }
  return dir;
}

export const defaultConsoleAssetDir = (): string => path.join(repositoryRoot(), 'dist', 'console');

// No inline script or style: the CSP allows this server only, and fetches to the API endpoint only.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CSS = `
:root{font:14px/1.45 system-ui,sans-serif;color:#1d2430;background:#f4f6f9}
body{margin:0}header{display:flex;gap:12px;align-items:center;padding:10px 18px;background:#1d2430;color:#fff;flex-wrap:wrap}
header h1{font-size:16px;margin:0 12px 0 0}header input,header select,header button{font:inherit;padding:5px 8px;border-radius:4px;border:1px solid #8894a8}
header button{background:#3d6df2;color:#fff;border-color:#3d6df2;cursor:pointer}#who{font-size:12px;opacity:.85}
main{display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:14px;padding:14px 18px}
section{background:#fff;border:1px solid #dde2ea;border-radius:6px;padding:10px 14px;min-width:0;overflow-x:auto}
section h2{font-size:13px;text-transform:uppercase;letter-spacing:.04em;color:#58627a;margin:2px 0 8px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}dt{color:#58627a}dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eef0f4;vertical-align:top}th{color:#58627a;font-weight:600}
.withheld{display:inline-block;padding:0 6px;border-radius:3px;border:1px dashed #c77a00;background:#fde9c8;color:#8a4b00;font-size:12px;font-weight:600;letter-spacing:.02em}
.withheld-item{display:inline-block;margin:0 10px 4px 0}
.muted{color:#7b8497}.error{color:#a3001b}.chip{display:inline-block;padding:0 6px;border-radius:10px;background:#e7ecf7;margin:0 4px 2px 0;font-size:12px}
.status-OPEN,.status-NEW{background:#fde2e2}.status-RESOLVED,.status-CLOSED{background:#ddf3e4}
#timeline{max-height:340px;overflow-y:auto}#timeline li{padding:3px 0;border-bottom:1px solid #f0f2f5;list-style:none}#timeline ul{padding:0;margin:0}
.wide{grid-column:1/-1}svg text{font-size:10px;fill:#58627a}button.link{background:none;border:0;color:#3d6df2;cursor:pointer;padding:0;font:inherit}
`;

function page(endpoint: string): string {
  const config = JSON.stringify({ endpoint }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Rapport console</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/console/assets/console.css">
<script id="console-config" type="application/json">${config}</script>
<script type="module" src="/console/assets/main.js"></script></head>
<body><header><h1>Rapport · customer 360</h1>
<input id="token" type="password" placeholder="Paste your token (Bearer JWT)" size="28" autocomplete="off" aria-label="token">
<select id="kind" aria-label="identifier kind"><option value="ID">Customer id</option><option value="EMAIL">Email</option><option value="PHONE">Phone</option><option value="EXTERNAL_ID">External id</option><option value="CRM_ID">CRM id</option><option value="LOYALTY_CARD">Loyalty card</option><option value="DEVICE">Device</option></select>
<input id="query" placeholder="Identifier" size="28" aria-label="identifier"><button id="search" type="button">Open</button>
<span id="who"></span></header>
<main id="app"><section class="wide"><p class="muted">Paste a token to start (a customer token opens its own profile).</p></section></main>
</body></html>`;
}

export function consoleRouter(opts: ConsoleOptions): express.Router {
  const dir = opts.assetDir ?? defaultConsoleAssetDir();
  const html = page(opts.endpoint);
  const router = express.Router();
  const headers = (res: Response) => {
    res.setHeader('content-security-policy', CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
  };
  router.get('/console', (_req: Request, res: Response) => {
    headers(res);
    if (!fs.existsSync(path.join(dir, 'main.js'))) {
      res.status(503).type('text/plain').send('The console is not built: run `npm run build` (tsconfig.console.json compiles it into dist/console).');
      return;
    }
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(html);
  });
  router.get('/console/assets/console.css', (_req, res) => {
    headers(res);
    res.type('text/css').send(CSS);
  });
  // Only the compiled modules (*.js), nothing else from the folder (no .tsbuildinfo, no maps).
  router.get(/^\/console\/assets\/((?:[a-z0-9-]+\/)*[a-z0-9-]+\.js)$/i, (req, res) => {
    headers(res);
    const rel = (req.params as unknown as Record<string, string>)[0];
    const file = path.join(dir, rel);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file)) {
      res.status(404).end();
      return;
    }
    res.setHeader('cache-control', 'no-cache');
    res.type('application/javascript').sendFile(file);
  });
  return router;
}
