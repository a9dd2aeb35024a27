import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { ConnectionHub } from './connection-hub';
import type { RealtimeConnection } from './realtime-connection';

/**
 * README "Security and limits" heartbeat: one timer for all sockets. Each tick pings every socket with a
 * fresh random payload; a socket that has not echoed the previous tick's payload (two
 * intervals) is terminated, which also finds dead TCP peers that would never report a
 * close. Unsolicited pongs prove nothing (RFC 6455 §5.5.3): only the echo counts. The
 * tick also runs the backlog check, so a socket that stopped reading is found even when
 * nothing else is written to it.
 */
@Injectable()
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private payload: Buffer = randomBytes(8);
  private readonly interval: number;

  constructor(
    private readonly hub: ConnectionHub,
    @Inject(REALTIME_OPTIONS) options: { heartbeatInterval: number },
  ) {
    this.interval = options.heartbeatInterval;
  }

  start(): void {
    if (this.interval <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A pong arrived: alive only when it echoes the last ping. */
  pong(connection: RealtimeConnection, data: Buffer): void {
    if (data.equals(this.payload)) connection.alive = true;
  }

  private tick(): void {
    this.payload = randomBytes(8);
    for (const connection of this.hub.all()) {
      if (!connection.alive) {
        connection.terminate('heartbeat_timeout');
        continue;
      }
      connection.alive = false;
      connection.ping(this.payload);
    }
  }
}
