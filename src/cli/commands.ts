import type { Command } from './command';

/**
 * The subcommands of `npx rapport`. To add one, write src/cli/NAME.ts exporting `command: Command`
 * and add a line here. Modules load lazily, so `rapport token` does not load the ORM.
 */
export const COMMANDS: ReadonlyArray<{ name: string; summary: string; load: () => Promise<Command> }> = [
  { name: 'import', summary: 'load customers, orders and interactions from NDJSON or CSV', load: async () => (await import('./import')).command },
  { name: 'analytics', summary: 'recompute customer metrics, segments and product similarities now', load: async () => (await import('./analytics')).command },
  { name: 'token', summary: 'mint a bearer token for a role (development secret unless JWT_SECRET)', load: async () => (await import('./token')).command },
  { name: 'export', summary: 'write a segment\'s members whose consent allows a purpose, as CSV or NDJSON', load: async () => (await import('./export')).command },
  { name: 'db', summary: 'the database: start the embedded PostgreSQL, migrate, seed demo data', load: async () => (await import('./db')).command },
];
