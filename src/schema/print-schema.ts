import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildBareSchema } from './build-schema';

/** The SDL committed as schema.graphql: sorted, so diffs show only real API changes. */
export async function printAppSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildBareSchema()))}\n`;
}
