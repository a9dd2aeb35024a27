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

  /**
   * The call an incoming request belongs to, if any; the header is removed either way,
   * so routes never see it (README "Security and limits", first rule).
   */
  claim(req: { headers: Record<string, unknown> }): SocketCall | undefined {
    if (req.headers[CALL_HEADER] === undefined) return undefined;
    const call = this.find(req.headers[CALL_HEADER]);
    delete req.headers[CALL_HEADER];
    return call;
  }
}

/** Socket methods routes may call (Nest 11's SSE sets keep-alive and no-delay) that light-my-request's socket lacks. */
const SOCKET_NO_OPS = ['setKeepAlive', 'setNoDelay', 'setTimeout'] as const;

/**
 * Readies the in-process socket of a `call-route` request: TLS when the calling socket is
 * (req.protocol and req.secure read it), and the socket settings a route may make are
 * accepted and mean nothing (there is no TCP connection).
 */
export function prepareCallSocket(socket: object, encrypted: boolean): void {
  const target = socket as Record<string, unknown>;
  if (encrypted) target.encrypted = true;
  for (const name of SOCKET_NO_OPS)
    if (typeof target[name] !== 'function') target[name] = () => socket;
}
