import type { Logger } from '@nestjs/common';
import type { Subject } from 'rxjs';
import type { HistoryOptions } from '../../options';
import type { RegistryEvent } from '../realtime-registry';
import { PushSequence } from './push-sequence';
import { pack, unpack } from './redis-codec';
import type { RedisClients } from './redis-clients';
import { RedisHistory } from './redis-history';
import { parseStamped } from './redis-history-store';
import type { RedisNames } from './redis-names';
import type { RedisViewStore } from './redis-view-store';

/** Wildcard messages with history start with this letter: `h<stamped channels><pattern><json>` (packed). */
const STAMPED_WILDCARD = 'h';

export interface StampedPushesOptions {
  readonly history: HistoryOptions;
  /** How long a channel's history keys live after the last subscribe or renewal. */
  readonly keyTtl: number;
  /** Whether this instance hands its own push of `channel` on at once (it listens, and is not recovering). */
  readonly deliversOwn: (channel: string) => boolean;
}

/**
 * The Redis registry's pushes with history (README "Delivery guarantees"): stamped by
 * one script per channel, and handed on to the gateway once each, in offset order per
 * channel (PushSequence), whichever way they reach this instance; gaps are read back
 * from the channel's Stream or told as `gap` events.
 */
export class StampedPushes {
  readonly history: RedisHistory;
  private readonly sequence: PushSequence;

  constructor(
    private readonly clients: RedisClients,
    private readonly names: RedisNames,
    views: RedisViewStore,
    private readonly options: StampedPushesOptions,
    private readonly events: Subject<RegistryEvent>,
    logger: Logger,
  ) {
    const history = new RedisHistory(
      clients.command,
      names,
      views,
      options.history,
      options.keyTtl,
      (channel, epoch) => this.sequence.delivered(channel, epoch),
    );
    this.history = history;
    this.sequence = new PushSequence({
      deliver: (channel, push) =>
        events.next({
          type: 'push',
          channel,
          json: push.json,
          epoch: push.epoch,
          offset: push.offset,
        }),
      fill: (channel, epoch, after, before) =>
        history.fill(channel, epoch, after, before),
      gap: (channel, epoch, reason) => {
        logger.warn(
          `Redis: pushes of a channel were missed and could not be read back (${reason}); its connections are told`,
        );
        events.next({ type: 'gap', channel, epoch, reason });
      },
    });
  }

  /**
   * One script stamps, keeps and publishes the push; when this instance delivers its
   * own, it hands the push on as soon as the offset is known, without waiting for its
   * pub/sub copy (the sequence drops that one). False when the channel keeps no history.
   */
  async stamp(channel: string, json: string): Promise<boolean> {
    const at = await this.history.store.stamp(
      channel,
      json,
      this.names.channel(channel),
      this.clients.pubsub.sharded,
    );
    if (!at) return false;
    if (this.options.deliversOwn(channel))
      this.sequence.offerOwn(channel, {
        epoch: at.epoch,
        offset: at.offset,
        json,
      });
    return true;
  }

  /** Each channel with a history the pattern matches is stamped on its own; the wildcard message then names them for server-side listeners. */
  async stampMatching(pattern: string, json: string): Promise<void> {
    const channels = await this.history.matching(pattern);
    const stamped: string[] = [];
    await Promise.all(
      channels.map(async (channel) => {
        if (await this.stamp(channel, json)) stamped.push(channel);
        else this.history.unlist(channel);
      }),
    );
    await this.clients.pubsub.publish(
      this.names.wildcard,
      STAMPED_WILDCARD + pack(JSON.stringify(stamped), pack(pattern, json)),
    );
  }

  /** A pub/sub message of app channel `channel`: stamped (`<epoch> <offset> <json>`) or not (`- 0 <json>`). */
  received(channel: string, message: string): void {
    const { epoch, offset, json } = parseStamped(message);
    if (epoch === undefined || offset === undefined)
      this.events.next({ type: 'push', channel, json });
    else this.sequence.offer(channel, { epoch, offset, json });
  }

  /** A wildcard message as `stampMatching` sent it, or undefined for another kind. */
  static wildcard(
    message: string,
  ): Extract<RegistryEvent, { type: 'pushMatching' }> | undefined {
    if (message[0] !== STAMPED_WILDCARD) return undefined;
    const [stamped, rest] = unpack(message, 1);
    const [pattern, json] = unpack(rest, 0);
    return {
      type: 'pushMatching',
      pattern,
      json,
      stamped: JSON.parse(stamped) as string[],
    };
  }

  /** Each channel's position now (a fresh epoch where it has none): a view subscribes, or a holder keeps its channels' histories. */
  positions(channels: readonly string[]): Promise<string[]> {
    return this.history.positions(channels);
  }

  /** This instance stopped listening to `channel`. */
  forget(channel: string): void {
    this.sequence.forget(channel);
  }
}
