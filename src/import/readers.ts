import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { parse } from 'csv-parse';
import type { RawRow } from './import-record';

/** One physical row of the file: its data, or why it could not even be parsed. */
export type SourceRow = { line: number; row: RawRow } | { line: number; parseError: string };

export interface ByteCounter {
  bytesRead: number;
}

function open(file: string, counter: ByteCounter): fs.ReadStream {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  stream.on('data', (b) => (counter.bytesRead += b.length));
  return stream;
}

/** NDJSON in batches of rows per 1 MiB read (one await per batch, not per row); blank lines are skipped. */
export async function* readNdjson(file: string, counter: ByteCounter): AsyncGenerator<SourceRow[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  const parseLine = (text: string, out: SourceRow[]) => {
    line++;
    const t = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (!t.trim()) return;
    try {
      const v = JSON.parse(t) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) out.push({ line, parseError: 'each line must be one JSON object' });
      else out.push({ line, row: v as RawRow });
    } catch (err) {
      out.push({ line, parseError: `not valid JSON: ${(err as Error).message}` });
    }
  };
  for await (const chunk of open(file, counter)) {
    const text = rest + decoder.write(chunk as Buffer);
    const out: SourceRow[] = [];
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      parseLine(text.slice(start, nl), out);
      start = nl + 1;
    }
    rest = text.slice(start);
    if (out.length) yield out;
  }
  rest += decoder.end();
  if (rest) {
    const out: SourceRow[] = [];
    parseLine(rest, out);
    if (out.length) yield out;
  }
}

/**
 * CSV with a header row (names as in the README). A row whose field count differs from the header's,
 * or that the parser cannot read (unbalanced quotes), is reported and the next rows go on.
 */
export async function* readCsv(file: string, counter: ByteCounter): AsyncGenerator<SourceRow[]> {
  const errors: SourceRow[] = [];
  const parser = parse({ bom: true, info: true, relax_column_count: true, skip_records_with_error: true, skip_empty_lines: true });
  parser.on('skip', (err: Error & { lines?: number }) => errors.push({ line: err.lines ?? 0, parseError: err.message }));
  const input = open(file, counter);
  input.on('error', (err) => parser.destroy(err));
  input.pipe(parser);
  let header: string[] | undefined;
  let batch: SourceRow[] = [];
  for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    if (errors.length) batch.push(...errors.splice(0));
    if (!header) {
      header = rec.record.map((h) => h.trim().toLowerCase());
      continue;
    }
    const line = rec.info.lines;
    if (rec.record.length !== header.length) {
      batch.push({ line, parseError: `the row has ${rec.record.length} fields, the header ${header.length}` });
    } else {
      const row: RawRow = {};
      for (let i = 0; i < header.length; i++) row[header[i]] = rec.record[i];
      batch.push({ line, row });
    }
    if (batch.length >= 2000) {
      yield batch;
      batch = [];
    }
  }
  if (errors.length) batch.push(...errors.splice(0));
  if (batch.length) yield batch;
}
