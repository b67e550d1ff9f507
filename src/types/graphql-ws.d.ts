// graphql-ws 6 declares its subpath entry points only in package.json "exports", which TypeScript's
// "moduleResolution": "node" ignores; point the one we use at its declarations. (Node resolves the
// code through "exports" as usual.)
declare module 'graphql-ws/use/ws' {
  export * from 'graphql-ws/dist/use/ws';
}
