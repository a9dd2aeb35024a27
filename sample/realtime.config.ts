import type { RealtimeModuleOptions } from 'nestjs-realtime';

/**
 * The realtime options of the sample, from the environment: the memory registry by
 * default (one process), the Redis registry when `REDIS_URL` is set (any number of
 * instances sharing `REALTIME_SECRET`).
 */
export function realtimeOptions(
  env: NodeJS.ProcessEnv = process.env,
): RealtimeModuleOptions {
  // Who is in a room: its subscribers hear joins and leaves and may ask for the list.
  const options: RealtimeModuleOptions = { presence: ['chat:*'] };
  // The module refuses to boot without it on Redis or with NODE_ENV=production.
  if (env.REALTIME_SECRET) options.secret = env.REALTIME_SECRET;
  if (env.REDIS_URL) {
    options.registry = 'redis';
    options.redis = env.REDIS_URL;
  }
  return options;
}
