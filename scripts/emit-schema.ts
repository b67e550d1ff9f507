import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { printAppSchema } from '../src/schema/print-schema';

// Writes schema.graphql (the reviewed API surface). A test fails when it is stale.
void printAppSchema().then((sdl) => {
  const file = path.join(__dirname, '..', 'schema.graphql');
  fs.writeFileSync(file, sdl);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${sdl.split('\n').length} lines)`);
});
