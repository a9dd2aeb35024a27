/**
 * Every Redis key and pub/sub channel of one app, all under `keyPrefix` (README "Registries and guarantees").
 * A view's keys share the hash tag `{digest}`, and a channel's history keys and its
 * pub/sub channel the tag `{h:<channel>}`, so a Lua script can touch them together on
 * Redis Cluster (SPUBLISH from a script needs the shard channel in the keys' slot).
 */
export class RedisNames {
  /** Pub/sub prefix of channel pushes: `<prefix>c:{h:<channel>}`. */
  readonly channelPrefix: string;
  /** Pub/sub prefix of one view's control messages: `<prefix>v:<digest>`. */
  readonly viewPrefix: string;
  /** The channel every instance listens to for wildcard pushes. */
  readonly wildcard: string;

  constructor(readonly prefix: string) {
    this.channelPrefix = `${prefix}c:{h:`;
    this.viewPrefix = `${prefix}v:`;
    this.wildcard = `${prefix}w`;
  }

  /** SET of a view's channels. */
  channelsKey(digest: string): string {
    return `${this.prefix}{${digest}}:ch`;
  }

  /** HASH of where the view subscribed to each channel (`<epoch> <offset>`), and its resume marks. */
  positionsKey(digest: string): string {
    return `${this.prefix}{${digest}}:pos`;
  }

  /** ZSET of the channels with a history, scored by when their keys expire (read by pushMatching). */
  get historyChannelsKey(): string {
    return `${this.prefix}hc`;
  }

  /** Set (with a TTL) while a view revoked by disconnect() stays inert. */
  revokedKey(digest: string): string {
    return `${this.prefix}{${digest}}:rv`;
  }

  /** SET of the digests of the views identified as `user` (README "Users and presence"). */
  userKey(user: string): string {
    return `${this.prefix}u:{${user}}`;
  }

  /** ZSET of instances holding live connections of a view, scored by lease expiry. */
  liveKey(digest: string): string {
    return `${this.prefix}{${digest}}:live`;
  }

  /** Presence keys (README "Users and presence"), all under the hash tag `{p}`: `i`, `x`, and the event channel `e`. */
  presence(kind: 'i' | 'x' | 'e'): string {
    return `${this.prefix}{p}:${kind}`;
  }

  /** A channel's presence HASHes: `c` (entries per instance) and `n` (instances per user). */
  presenceChannel(kind: 'c' | 'n', channel: string): string {
    return `${this.prefix}{p}:${kind}:${channel}`;
  }

  channel(channel: string): string {
    return this.channelPrefix + channel + '}';
  }

  /** The app channel of a pub/sub channel named by `channel()`. */
  channelOf(pubsubChannel: string): string {
    return pubsubChannel.slice(this.channelPrefix.length, -1);
  }

  view(digest: string): string {
    return this.viewPrefix + digest;
  }

  /** Where an instance receives acknowledgements. */
  instance(instanceId: string): string {
    return `${this.prefix}i:${instanceId}`;
  }
}
