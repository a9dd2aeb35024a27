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
import { INVALID_DIGEST, INVALID_MESSAGE } from './realtime.messages';
import { RealtimeStatsCounter } from './realtime-stats.counter';
import type { RealtimeRegistry } from './registry/realtime-registry';

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
function attempt(operation: () => Promise<void>): Promise<void> {
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
  private tracked(op: string, operation: () => Promise<void>): Promise<void> {
    const timings = op === 'publish' ? this.stats.timings : undefined;
    const started = timings ? performance.now() : 0;
    return attempt(operation).then(
      () => timings?.publish((performance.now() - started) / 1000),
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

  unsubscribe(digest: string, channels: ChannelArgs): Promise<void> {
    return this.tracked('unsubscribe', () =>
      this.registry.unsubscribe(
        digest,
        flattenChannels(channels, this.maxChannelLength),
      ),
    );
  }
}
