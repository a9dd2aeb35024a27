import { Logger } from '@nestjs/common';
import type { HistoryOptions } from '../options';
import { REGISTRY_WITHOUT_HISTORY } from '../realtime.messages';
import { MemoryRegistry } from './memory.registry';
import type { RealtimeRegistry } from './realtime-registry';
import {
  createRedisClients,
  type RealtimeRedisOption,
} from './redis/redis-clients';
import { RedisNames } from './redis/redis-names';
import { RedisRegistry } from './redis/redis.registry';

/** What the registries read of the module options. */
export interface RegistryOptions {
  registry: 'memory' | 'redis' | RealtimeRegistry;
  redis: RealtimeRedisOption;
  keyPrefix: string;
  publishTimeout: number;
  pendingTtl: number;
  reconnectGrace: number;
  maxChannelsPerView: number;
  registryFromEnv?: boolean;
  history?: HistoryOptions | false;
  presenceGrace: number;
}

/**
 * The registry chosen by the options: an app's own instance as given, or the memory or
 * Redis one (ioredis is loaded only for Redis).
 */
export async function createRegistry(
  options: RegistryOptions,
  instanceId: string,
): Promise<RealtimeRegistry> {
  if (typeof options.registry === 'object') {
    const own = options.registry;
    if (options.history && !own.history)
      throw new Error(REGISTRY_WITHOUT_HISTORY(own.kind));
    return own;
  }
  if (options.registry === 'memory')
    return new MemoryRegistry({ ...options, instanceId });
  const clients = await createRedisClients(
    options.redis,
    options.publishTimeout,
    options.registryFromEnv,
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
