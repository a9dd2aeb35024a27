/**
 * Every Redis key and pub/sub channel of one app, all under `keyPrefix` (README "Registries and guarantees").
 * A view's two keys share the hash tag `{digest}`, so a Lua script can touch both on
 * Redis Cluster.
 */
export class RedisNames {
  /** Pub/sub prefix of channel pushes: `<prefix>c:<channel>`. */
  readonly channelPrefix: string;
  /** Pub/sub prefix of one view's control messages: `<prefix>v:<digest>`. */
  readonly viewPrefix: string;
  /** The channel every instance listens to for wildcard pushes. */
  readonly wildcard: string;

  constructor(readonly prefix: string) {
    this.channelPrefix = `${prefix}c:`;
    this.viewPrefix = `${prefix}v:`;
    this.wildcard = `${prefix}w`;
  }

  /** SET of a view's channels. */
  channelsKey(digest: string): string {
    return `${this.prefix}{${digest}}:ch`;
  }

  /** ZSET of instances holding live connections of a view, scored by lease expiry. */
  liveKey(digest: string): string {
    return `${this.prefix}{${digest}}:live`;
  }

  channel(channel: string): string {
    return this.channelPrefix + channel;
  }

  view(digest: string): string {
    return this.viewPrefix + digest;
  }

  /** Where an instance receives acknowledgements. */
  instance(instanceId: string): string {
    return `${this.prefix}i:${instanceId}`;
  }
}
