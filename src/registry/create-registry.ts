import { Logger } from '@nestjs/common';
import type { ResolvedRealtimeOptions } from '../realtime.options';
import { MemoryRegistry } from './memory.registry';
import type { RealtimeRegistry } from './realtime-registry';
import { createRedisClients } from './redis/redis-clients';
import { RedisNames } from './redis/redis-names';
import { RedisRegistry } from './redis/redis.registry';

/** The registry chosen by the options; ioredis is loaded only for the Redis registry. */
export async function createRegistry(
  options: ResolvedRealtimeOptions,
  instanceId: string,
): Promise<RealtimeRegistry> {
  if (options.registry === 'memory') return new MemoryRegistry(options);
  const clients = await createRedisClients(
    options.redis,
    options.publishTimeout,
  );
  const registry = new RedisRegistry(
    clients,
    new RedisNames(options.keyPrefix),
    options,
    instanceId,
    new Logger('Realtime'),
  );
  registry.init();
  return registry;
}
