import path from 'node:path';

/**
 * Node flags for a child process that runs a .ts entry point of the app (src/cli/rapport.ts, src/main.ts):
 * each file transpiled alone as ts-node's transpile-only mode does, but cached on disk (ts-register.js),
 * so only the first child of a run pays for transpiling the app.
 */
export const TS_NODE_FLAGS = ['-r', path.join(__dirname, 'ts-register.js')];
