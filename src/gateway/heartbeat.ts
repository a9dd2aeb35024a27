import type { ConnectionHub } from './connection-hub';

/**
 * SPEC §7 heartbeat: one timer for all sockets. Each tick pings every socket; a socket
 * that has not answered the previous ping (two intervals) is terminated, which also
 * finds dead TCP peers that would never report a close.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly hub: ConnectionHub,
    private readonly interval: number,
  ) {}

  start(): void {
    if (this.interval <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.interval);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    for (const connection of this.hub.all()) {
      if (!connection.alive) {
        connection.terminate('heartbeat_timeout');
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
    }
  }
}
