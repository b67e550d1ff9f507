import fs from 'node:fs';
import { once } from 'node:events';

/**
 * Writes an NDJSON import file of N rows: N/100 customers first, then interactions by their emails;
 * every `badEvery`th row (default 10,000) is bad (alternately broken JSON and an unknown interaction
 * type). Returns the line numbers of the bad rows. Shared by tests/integration/import.test.ts (a
 * smaller file, the same shape) and `npm run bench:import`.
 */
export async function generateImportRows(file: string, n: number, prefix: string, badEvery = 10_000): Promise<number[]> {
  const line = (o: Record<string, unknown>) => JSON.stringify(o);
  const out = fs.createWriteStream(file);
  const bad: number[] = [];
  const customers = Math.max(1, Math.floor(n / 100));
  for (let i = 1; i <= n; i++) {
    let row: string;
    if (i % badEvery === 0 && i > customers) {
      bad.push(i);
      row = i % (2 * badEvery) === 0 ? '{"type":"interaction","broken":' : line({ type: 'interaction', source_event_id: `${prefix}-${i}`, email: `c${i % customers}@${prefix}.example`, occurred_at: '2025-01-01T00:00:00Z', channel: 'web', interaction_type: 'nope' });
    } else if (i <= customers) {
      row = line({ type: 'customer', email: `c${i - 1}@${prefix}.example`, first_name: `F${i}`, customer_namespace: 'gen', customer_external_id: `${prefix}-${i - 1}` });
    } else {
      row = line({ type: 'interaction', source_event_id: `${prefix}-${i}`, email: `c${i % customers}@${prefix}.example`, occurred_at: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(), channel: 'web', interaction_type: 'page_view', properties: { i } });
    }
    if (!out.write(row + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bad;
}
