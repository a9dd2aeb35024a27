import type {
  Cluster,
  ClusterNode,
  ClusterOptions,
  Redis,
  RedisOptions,
} from 'ioredis';
import { IOREDIS_MISSING } from '../../realtime.messages';

/** What the `redis` option accepts (README "Registries and guarantees"). */
export type RealtimeRedisOption =
  | string
  | RedisOptions
  | { nodes: ClusterNode[]; options?: ClusterOptions }
  | Redis
  | Cluster;

export type RedisClient = Redis | Cluster;

/** Plain or sharded pub/sub behind one face: Cluster uses SSUBSCRIBE/SPUBLISH (README "Scaling with Redis"). */
export interface PubSub {
  readonly sharded: boolean;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Resolves with the number of subscriber connections that received the message. */
  publish(channel: string, message: string): Promise<number>;
  onMessage(handler: (channel: string, message: string) => void): void;
}

export interface RedisClients {
  /** Commands and publishes: no offline queue, no resend, `publishTimeout` per command. */
  command: RedisClient;
  /** Subscriptions only (a connection in subscriber mode takes no other commands). */
  subscriber: RedisClient;
  pubsub: PubSub;
}

/** ioredis, an optional peer: a boot error that says to install it when it is missing. */
async function loadIoredis(
  fromEnv: boolean,
): Promise<{ Redis: typeof Redis; Cluster: typeof Cluster }> {
  try {
    const { Redis, Cluster } = await import('ioredis');
    return { Redis, Cluster };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (
      (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') &&
      String((error as Error).message).includes('ioredis')
    )
      throw new Error(IOREDIS_MISSING(fromEnv), { cause: error });
    throw error;
  }
}

function isClient(value: unknown): value is RedisClient {
  return typeof (value as { duplicate?: unknown })?.duplicate === 'function';
}

export function isCluster(value: unknown): value is Cluster {
  return (value as { isCluster?: unknown })?.isCluster === true;
}

/**
 * Two connections of our own, made from the option: a user's ready client is only a
 * template (duplicated), so closing the registry never closes the app's client.
 */
export async function createRedisClients(
  option: RealtimeRedisOption,
  publishTimeout: number,
  fromEnv = false,
): Promise<RedisClients> {
  const { Redis: RedisClass, Cluster: ClusterClass } =
    await loadIoredis(fromEnv);
  // A push that timed out must not be sent later: no offline queue, no resend after reconnect.
  const commandOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    commandTimeout: publishTimeout,
  } satisfies RedisOptions;
  const subscriberOptions = {
    lazyConnect: true,
    autoResubscribe: true,
  } satisfies RedisOptions;
  // The same for both Cluster forms (a ready Cluster, or { nodes, options }).
  const clusterOptions = (base: ClusterOptions | undefined) => ({
    command: {
      ...base,
      lazyConnect: true,
      enableOfflineQueue: false,
      redisOptions: {
        ...base?.redisOptions,
        commandTimeout: publishTimeout,
        autoResendUnfulfilledCommands: false,
      },
    } satisfies ClusterOptions,
    subscriber: {
      ...base,
      lazyConnect: true,
      shardedSubscribers: true,
    } satisfies ClusterOptions,
  });
  let command: RedisClient;
  let subscriber: RedisClient;
  if (isCluster(option)) {
    const made = clusterOptions(undefined);
    command = option.duplicate(undefined, made.command);
    subscriber = option.duplicate(undefined, made.subscriber);
  } else if (isClient(option)) {
    command = option.duplicate(commandOptions);
    subscriber = option.duplicate(subscriberOptions);
  } else if (typeof option === 'string') {
    command = new RedisClass(option, commandOptions);
    subscriber = new RedisClass(option, subscriberOptions);
  } else if (Array.isArray((option as { nodes?: unknown }).nodes)) {
    const { nodes, options } = option as {
      nodes: ClusterNode[];
      options?: ClusterOptions;
    };
    const made = clusterOptions(options);
    command = new ClusterClass(nodes, made.command);
    subscriber = new ClusterClass(nodes, made.subscriber);
  } else {
    command = new RedisClass({
      ...(option as RedisOptions),
      ...commandOptions,
    });
    subscriber = new RedisClass({
      ...(option as RedisOptions),
      ...subscriberOptions,
    });
  }
  return { command, subscriber, pubsub: createPubSub(command, subscriber) };
}

function createPubSub(command: RedisClient, subscriber: RedisClient): PubSub {
  if (isCluster(command)) {
    return {
      sharded: true,
      subscribe: (channel) => subscriber.ssubscribe(channel),
      unsubscribe: (channel) => subscriber.sunsubscribe(channel),
      publish: (channel, message) =>
        command.spublish(channel, message) as Promise<number>,
      onMessage: (handler) => subscriber.on('smessage', handler),
    };
  }
  return {
    sharded: false,
    subscribe: (channel) => subscriber.subscribe(channel),
    unsubscribe: (channel) => subscriber.unsubscribe(channel),
    publish: (channel, message) => command.publish(channel, message),
    onMessage: (handler) => subscriber.on('message', handler),
  };
}
