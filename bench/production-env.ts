/**
 * Imported first by bench:ingest and bench:api: the server they run in-process gets the environment a production
 * server has. Libraries read NODE_ENV once, when they load (graphql-js checks every `instanceOf` for
 * duplicate module copies outside production: 3% of the server's CPU profile under ingestEvents), so it
 * must be set before any of them is imported. Production also requires PSEUDONYM_KEYS (the bench's own
 * key unless one is set). BENCH_NODE_ENV (or INGEST_NODE_ENV) overrides (e.g. `development`, to compare with older figures).
 */
process.env.NODE_ENV = process.env.BENCH_NODE_ENV ?? process.env.INGEST_NODE_ENV ?? 'production';
process.env.PSEUDONYM_KEYS ??= 'k'.repeat(32);

export {};
