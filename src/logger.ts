import pino, { type Logger } from 'pino';
import type { Config } from './config';

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel, base: { service: 'rapport' }, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] });
}

export type { Logger };
