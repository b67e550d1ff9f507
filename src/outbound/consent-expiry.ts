import pg from 'pg';
import type { Logger } from '../logger';
import { pollLoop } from './poll-loop';

export interface ConsentExpirySweep {
  /** One round now (tests; the loop runs it every pollSeconds). Answers the consent.changed events written. */
  sweepOnce(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Announces time-limited grants as they lapse (README "Webhooks", `consent.changed`): every round calls
 * rapport_announce_consent_expiries (Migration20261206220000), which writes a `consent.changed` event
 * (`status: expired`) for each grant whose expiry has passed and that was still the consent in force, and
 * re-evaluates the consent-dependent segments of those customers. Reads never needed it (the consent in
 * force is computed against now()); receivers of events and segment stays did. Once-only across instances
 * and rounds by the handled-grants table's primary key; a round is one transaction.
 * Off (pollSeconds 0): rounds only when called (tests).
 */
export function startConsentExpirySweep(opts: { databaseUrl: string; logger: Logger; pollSeconds: number; lookbackHours: number }): ConsentExpirySweep {
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 1, application_name: 'rapport-consent-expiry' });
  pool.on('error', (err) => opts.logger.warn({ err }, 'consent expiry connection error'));
  let stopped = false;
  async function sweepOnce(): Promise<number> {
    const { rows } = await pool.query<{ n: number }>(`select rapport_announce_consent_expiries($1 * interval '1 hour') as n`, [opts.lookbackHours]);
    if (rows[0].n > 0) opts.logger.info({ grants: rows[0].n }, 'lapsed consent grants announced');
    return rows[0].n;
  }
  const loop = opts.pollSeconds > 0
    ? pollLoop(async () => (await sweepOnce(), false), { pollMs: opts.pollSeconds * 1000, logger: opts.logger, what: 'consent expiry sweep' })
    : undefined;
  return {
    sweepOnce,
    async stop() {
      if (stopped) return;
      stopped = true;
      await loop?.stop();
      await pool.end();
    },
  };
}
