import { Inject, Injectable } from '@nestjs/common';
import {
  type ChannelArgs,
  checkChannel,
  flattenChannels,
  isPattern,
} from './channels';
import { RealtimeError } from './exceptions/realtime.error';
import { RealtimeIdentity } from './identity/realtime-identity';
import { REALTIME_OPTIONS, REALTIME_REGISTRY } from './realtime.constants';
import {
  INVALID_DIGEST,
  INVALID_MESSAGE,
  INVALID_REVOKE_TARGET,
  INVALID_USER,
  NO_IDENTITY_SUPPORT,
} from './realtime.messages';
import { RealtimeStatsCounter } from './realtime-stats.counter';
import type {
  RealtimeRegistry,
  RevokeTarget,
} from './registry/realtime-registry';

/** Longest user name, longest `info` (JSON bytes), longest close reason (RFC 6455: 123 bytes). */
const MAX_USER = 256;
const MAX_INFO = 4096;
const MAX_REASON = 123;

/** Serializes a push payload once; anything that is not a JSON value is refused. */
function serialize(message: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch {
    json = undefined;
  }
  if (json === undefined)
    throw new RealtimeError('invalid_message', INVALID_MESSAGE);
  return json;
}

/** Runs `operation`, turning a synchronous refusal into a rejected promise. */
function attempt<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return operation();
  } catch (error) {
    return Promise.reject(error);
  }
}

function isRegistryFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'registry_unavailable' || code === 'registry_error';
}

/**
 * The registry's operations with their checks (README "Channels and wildcards"): names flattened and
 * validated, payloads serialized once, bad input refused with a `RealtimeError`. What
 * `RealtimeService` and every `RealtimeSocket` do with channels goes through here.
 */
@Injectable()
export class RealtimeChannels {
  private readonly maxChannelLength: number;

  constructor(
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly identity: RealtimeIdentity,
    @Inject(REALTIME_OPTIONS) options: { maxChannelLength: number },
    private readonly stats: RealtimeStatsCounter,
  ) {
    this.maxChannelLength = options.maxChannelLength;
  }

  /** Counts a registry failure of `op` (metrics `registry_errors_total`) and, for pushes, the time to accepted. */
  tracked<T>(op: string, operation: () => Promise<T>): Promise<T> {
    const timings = op === 'publish' ? this.stats.timings : undefined;
    const started = timings ? performance.now() : 0;
    return attempt(operation).then(
      (result) => {
        timings?.publish((performance.now() - started) / 1000);
        return result;
      },
      (error: unknown) => {
        if (isRegistryFailure(error)) this.stats.registryError(op);
        throw error;
      },
    );
  }

  /** A checked literal channel name (no `*`, at most maxChannelLength). */
  name(channel: unknown): string {
    return checkChannel(channel, this.maxChannelLength);
  }

  push(message: unknown, channels: ChannelArgs): Promise<void> {
    return this.tracked('publish', () =>
      this.registry.publish(
        flattenChannels(channels, this.maxChannelLength),
        serialize(message),
      ),
    );
  }

  /** Literal names among the patterns are ordinary pushes; the others match. */
  pushMatching(message: unknown, patterns: ChannelArgs): Promise<void> {
    return this.tracked('publish', () => {
      const all = flattenChannels(patterns, this.maxChannelLength, true);
      const json = serialize(message);
      const literal = all.filter((name) => !isPattern(name));
      const wild = all.filter(isPattern);
      const sent: Array<Promise<void>> = [];
      if (literal.length > 0) sent.push(this.registry.publish(literal, json));
      if (wild.length > 0) sent.push(this.registry.publishMatching(wild, json));
      return Promise.all(sent).then(() => undefined);
    });
  }

  sendTo(digest: string, message: unknown, channel: string): Promise<void> {
    return this.tracked('send_to', () => {
      if (!this.identity.isDigest(digest))
        throw new RealtimeError('invalid_digest', INVALID_DIGEST);
      return this.registry.sendTo(
        digest,
        this.name(channel),
        serialize(message),
      );
    });
  }

  subscribe(digest: string, channels: ChannelArgs): Promise<void> {
    return this.tracked('subscribe', () =>
      this.registry.subscribe(
        digest,
        flattenChannels(channels, this.maxChannelLength),
      ),
    );
  }

  /** README "Users and presence": ties the view to an app user (never from client input). */
  identify(digest: string, user: unknown, info: unknown): Promise<void> {
    return this.tracked('identify', () => {
      if (
        typeof user !== 'string' ||
        user.length === 0 ||
        user.length > MAX_USER
      )
        throw new RealtimeError('invalid_user', INVALID_USER);
      const json = info === undefined ? undefined : serialize(info);
      if (json !== undefined && Buffer.byteLength(json) > MAX_INFO)
        throw new RealtimeError('invalid_user', INVALID_USER);
      return this.member('identify').call(this.registry, digest, user, json);
    });
  }

  /** README "Revocation": closes the target's connections everywhere; resolves with how many. */
  revoke(target: unknown, reason: unknown): Promise<number> {
    return this.tracked('revoke', () => {
      const t = target as Partial<RevokeTarget> | null;
      const valid =
        typeof t === 'object' &&
        t !== null &&
        (typeof t.user === 'string' && t.user.length > 0
          ? t.digest === undefined
          : typeof t.digest === 'string' &&
            this.identity.isDigest(t.digest) &&
            t.user === undefined);
      if (
        !valid ||
        typeof reason !== 'string' ||
        Buffer.byteLength(reason) > MAX_REASON
      )
        throw new RealtimeError('bad_request', INVALID_REVOKE_TARGET);
      return this.member('revoke').call(
        this.registry,
        t as RevokeTarget,
        reason,
      );
    });
  }

  /** An optional registry member, or the error that names the registry lacking it. */
  private member<K extends 'identify' | 'revoke'>(
    name: K,
  ): NonNullable<RealtimeRegistry[K]> {
    const member = this.registry[name];
    if (!member)
      throw new RealtimeError(
        'registry_error',
        NO_IDENTITY_SUPPORT(this.registry.kind, name),
      );
    return member as NonNullable<RealtimeRegistry[K]>;
  }

  unsubscribe(digest: string, channels: ChannelArgs): Promise<void> {
    return this.tracked('unsubscribe', () =>
      this.registry.unsubscribe(
        digest,
        flattenChannels(channels, this.maxChannelLength),
      ),
    );
  }
}
