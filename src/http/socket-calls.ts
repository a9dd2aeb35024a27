import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { RealtimeSocket } from '../realtime-socket';

/** Header carrying the id of an in-process `call-route` request; stripped before routes see it. */
export const CALL_HEADER = 'x-realtime-call';

/** A live `call-route` request: the connection it runs as, and whether that socket is TLS. */
export interface SocketCall {
  socket: RealtimeSocket;
  encrypted: boolean;
}

/**
 * Links an in-process `call-route` request to the connection that made it, so
 * `@Socket()` in the route is that very connection. The link is a fresh random id per
 * call, live only while the call runs: an HTTP client cannot guess or replay it.
 */
@Injectable()
export class SocketCalls {
  private readonly calls = new Map<string, SocketCall>();

  open(socket: RealtimeSocket, encrypted = false): string {
    const callId = randomUUID();
    this.calls.set(callId, { socket, encrypted });
    return callId;
  }

  close(callId: string): void {
    this.calls.delete(callId);
  }

  /** The live call, or undefined (also for forged ids). */
  find(callId: unknown): SocketCall | undefined {
    return typeof callId === 'string' ? this.calls.get(callId) : undefined;
  }
}
