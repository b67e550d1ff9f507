import type Redis from 'ioredis';
import type { RedisOptions } from 'ioredis';

/**
 * A Redis connection (ioredis). ioredis is loaded on the first call, that is only where `REDIS_URL` is
 * set: without it (rate limits and live updates in memory) a server start does not load it (about
 * 40 ms of every start here, and of every test file's server).
 */
export function connectRedis(url: string, options: RedisOptions): Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { default: RedisClient } = require('ioredis') as typeof import('ioredis');
  return new RedisClient(url, options);
}
