// pg-copy-streams 7 ships no declarations; only what Rapport uses: COPY FROM/TO STDIN as pg queries.
declare module 'pg-copy-streams' {
  import type { Submittable } from 'pg';
  import type { Readable, Writable } from 'node:stream';

  export interface CopyStreamQuery extends Writable, Submittable {
    /** Rows PostgreSQL reported for the COPY, once it has finished. */
    rowCount: number;
  }
  export interface CopyToStreamQuery extends Readable, Submittable {
    rowCount: number;
  }
  export function from(text: string, options?: Record<string, unknown>): CopyStreamQuery;
  export function to(text: string, options?: Record<string, unknown>): CopyToStreamQuery;
}
