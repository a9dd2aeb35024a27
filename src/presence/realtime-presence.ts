import { Inject, Injectable } from '@nestjs/common';
import { filter, map, type Observable } from 'rxjs';
import { RealtimeError } from '../exceptions/realtime.error';
import { ConnectionHub } from '../gateway/connection-hub';
import { REALTIME_REGISTRY } from '../realtime.constants';
import {
  BAD_PRESENCE_REQUEST,
  NO_IDENTITY_SUPPORT,
  PRESENCE_NOT_SHARED,
} from '../realtime.messages';
import { RealtimeChannels } from '../realtime-channels';
import type {
  PresenceCounts,
  RealtimeRegistry,
  RegistryEvent,
  RegistryPresence,
} from '../registry/realtime-registry';

/** One user of `RealtimeService.presence()` (README "Users and presence"). */
export interface PresenceUser<I = unknown> {
  user: string;
  /** What `identify(user, info)` gave, or null. */
  info: I | null;
  /** Its live connections on the channel, on every instance (0 during its grace). */
  connections: number;
}

/** A transition of `RealtimeService.presence$()`, once per join or leave across instances. */
export interface PresenceChange<I = unknown> {
  type: 'join' | 'leave';
  channel: string;
  user: string;
  info: I | null;
  /** The instance that observed it. */
  instanceId: string;
}

function parseInfo<I>(json: string | undefined): I | null {
  return json === undefined ? null : (JSON.parse(json) as I);
}

/** README "Users and presence": who is on a channel, its transitions, and the `presence` action's answer. */
@Injectable()
export class RealtimePresence {
  constructor(
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly channels: RealtimeChannels,
    private readonly hub: ConnectionHub,
  ) {}

  async list<I = unknown>(channel: string): Promise<PresenceUser<I>[]> {
    const name = this.channels.name(channel);
    const entries = await this.channels.tracked('presence', () =>
      this.member().list(name),
    );
    return entries.map((entry) => ({
      user: entry.user,
      info: parseInfo<I>(entry.info),
      connections: entry.connections,
    }));
  }

  stats(channel: string): Promise<PresenceCounts> {
    const name = this.channels.name(channel);
    return this.channels.tracked('presence', () => this.member().stats(name));
  }

  changes<I = unknown>(channel: string): Observable<PresenceChange<I>> {
    const name = this.channels.name(channel);
    this.member();
    return this.registry.events$.pipe(
      filter(
        (event): event is Extract<RegistryEvent, { type: 'presence' }> =>
          event.type === 'presence' && event.channel === name,
      ),
      map((event) => ({
        type: event.change,
        channel: event.channel,
        user: event.user,
        info: parseInfo<I>(event.info),
        instanceId: event.instanceId,
      })),
    );
  }

  /** The `presence` action: the list, for a channel the option shares and the connection's view holds. */
  answer(channel: unknown, digest: string): Promise<PresenceUser[]> {
    if (typeof channel !== 'string' || channel.length === 0)
      throw new RealtimeError('bad_request', BAD_PRESENCE_REQUEST);
    if (!this.hub.shares(digest, channel))
      throw new RealtimeError('unauthorized', PRESENCE_NOT_SHARED);
    return this.list(channel);
  }

  private member(): RegistryPresence {
    const presence = this.registry.presence;
    if (!presence)
      throw new RealtimeError(
        'registry_error',
        NO_IDENTITY_SUPPORT(this.registry.kind, 'presence'),
      );
    return presence;
  }
}
