import type PgBoss from 'pg-boss';

/**
 * `boss.work`, asking for the next job as soon as one is handled. pg-boss 10 waits a whole polling
 * interval after every fetch, one that found a job too: with batchSize 1 a worker handled ONE job per
 * interval (1 a second by default), whatever the backlog (a segment entered by thousands took hours to
 * fire, a webhook backlog to send). Only a fetch that finds nothing waits for the interval now. Answers
 * the worker's id, for `boss.notifyWorker` where the caller has just queued due work. Shared by the
 * webhook sender (deliveries, dead letters) and the trigger engine (firing decisions).
 */
export async function workEagerly<T>(boss: PgBoss, queue: string, options: PgBoss.WorkOptions, handler: (jobs: PgBoss.Job<T>[]) => Promise<void>): Promise<string> {
  let id = '';
  id = await boss.work<T>(queue, options, async (jobs) => {
    try {
      await handler(jobs);
    } finally {
      boss.notifyWorker(id);
    }
  });
  return id;
}
