import path from 'node:path';
import fs from 'node:fs';
import express, { type Request, type Response, type NextFunction } from 'express';

export interface PlaygroundOptions {
  /** URL the IDE POSTs operations to: a path ('/graphql') or absolute URL. */
  endpoint: string;
  /** JSON object as a string, e.g. '{"Authorization":"Bearer dev-token"}'. */
  defaultHeaders?: string;
  exampleQuery: string;
  examples?: Array<{ name: string; query: string }>;
}

const ASSET_PREFIX = '/playground/assets';

// Resolve via each package's package.json: graphiql's "exports" map does NOT
// expose graphiql.min.js, and react's does not expose umd/*, so
// require.resolve('graphiql/graphiql.min.js') throws ERR_PACKAGE_PATH_NOT_EXPORTED.
function pkgDir(name: string): string {
  return path.dirname(require.resolve(`${name}/package.json`));
}

function fileAssets(): Record<string, string> {
  const graphiql = pkgDir('graphiql');
  const react = pkgDir('react');
  const reactDom = pkgDir('react-dom');
  const files: Record<string, string> = {
    'graphiql.min.js': path.join(graphiql, 'graphiql.min.js'),
    'graphiql.min.css': path.join(graphiql, 'graphiql.min.css'),
    'react.production.min.js': path.join(react, 'umd', 'react.production.min.js'),
    'react-dom.production.min.js': path.join(reactDom, 'umd', 'react-dom.production.min.js'),
  };
  for (const [name, file] of Object.entries(files)) {
    if (!fs.existsSync(file)) {
      throw new Error(`playground asset ${name} not found at ${file} (graphiql must be <=4.x with UMD build; react/react-dom must be 18.x)`);
    }
  }
  return files;
}

// Served from memory: no inline <script>, so script-src stays 'self'.
const INIT_JS = `(function () {
  var cfg = JSON.parse(document.getElementById('playground-config').textContent);
  var tabs = [{ query: cfg.exampleQuery, headers: cfg.defaultHeaders }].concat(
    (cfg.examples || []).map(function (e) {
      return { query: '# ' + e.name + '\\n' + e.query, headers: cfg.defaultHeaders };
    })
  );
  var props = {
    fetcher: GraphiQL.createFetcher({ url: new URL(cfg.endpoint, location.href).href }),
    defaultQuery: cfg.exampleQuery,
    defaultHeaders: cfg.defaultHeaders,
    defaultTabs: tabs,
    shouldPersistHeaders: false
  };
  if (cfg.defaultHeaders) props.defaultEditorToolsVisibility = 'headers';
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
`;
const PAGE_CSS = 'html,body{height:100%;margin:0}#graphiql{height:100vh}';
const MEMORY_ASSETS: Record<string, { type: string; body: string }> = {
  'init.js': { type: 'application/javascript; charset=utf-8', body: INIT_JS },
  'page.css': { type: 'text/css; charset=utf-8', body: PAGE_CSS },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function buildCsp(endpoint: string): string {
  let connect = "'self'";
  if (/^https?:\/\//i.test(endpoint)) connect += ` ${new URL(endpoint).origin}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    // 'unsafe-inline' for styles only: Radix dialogs (settings/shortcuts) inject a
    // <style> via react-remove-scroll; still no external origin is allowed.
    "style-src 'self' 'unsafe-inline'",
    "font-src 'self' data:", // graphiql.min.css embeds its fonts as data: URLs
    "img-src 'self' data:",
    `connect-src ${connect}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function playgroundRouter(opts: PlaygroundOptions): express.Router {
  if (opts.defaultHeaders) JSON.parse(opts.defaultHeaders); // fail fast on bad JSON
  const files = fileAssets();
  const csp = buildCsp(opts.endpoint);
  const config = JSON.stringify({
    endpoint: opts.endpoint,
    defaultHeaders: opts.defaultHeaders ?? '',
    exampleQuery: opts.exampleQuery,
    examples: opts.examples ?? [],
  }).replace(/</g, '\\u003c'); // JSON inside <script> must not contain "</script>"
  const endpointPath = /^https?:\/\//i.test(opts.endpoint) ? new URL(opts.endpoint).pathname : opts.endpoint;

  const router = express.Router();

  router.get(`${ASSET_PREFIX}/:file`, (req: Request, res: Response, next: NextFunction) => {
    const name = req.params.file as string;
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const mem = MEMORY_ASSETS[name];
    if (mem) {
      res.type(mem.type).setHeader('Cache-Control', 'no-cache');
      res.send(mem.body);
      return;
    }
    const file = files[name];
    if (!file) return next();
    // root + basename: send() rejects absolute paths containing dot-segments
    // (e.g. pnpm's node_modules/.pnpm/...) unless given a root.
    res.sendFile(path.basename(file), { root: path.dirname(file), maxAge: '1d' }, (err) => {
      if (err) next(err);
    });
  });

  const page = (req: Request, res: Response, next: NextFunction) => {
    // Only browsers navigating here; curl (*/*), JSON clients and GET operations go on to Apollo.
    if (req.accepts(['application/json', 'text/html']) !== 'text/html' || req.query.query !== undefined) {
      return next();
    }
    const base = escapeHtml(`${req.baseUrl}${ASSET_PREFIX}`);
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rapport · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${base}/graphiql.min.css">
<link rel="stylesheet" href="${base}/page.css">
</head>
<body>
<div id="graphiql">Loading…</div>
<script id="playground-config" type="application/json">${config}</script>
<script src="${base}/react.production.min.js"></script>
<script src="${base}/react-dom.production.min.js"></script>
<script src="${base}/graphiql.min.js"></script>
<script src="${base}/init.js"></script>
</body>
</html>`);
  };
  router.get('/', page);
  if (endpointPath !== '/') router.get(endpointPath, page);
  return router;
}
