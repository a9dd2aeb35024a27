import type { IncomingHttpHeaders } from 'node:http';
import type { Observable } from 'rxjs';
import type { RequestFrame } from '../protocol';
import type { RealtimeSocket } from '../realtime-socket';

/** A request frame (README "Wire protocol"): the whole object the client sent. */
export type RealtimeMessage = RequestFrame;

/**
 * What stays of the upgrade request for the life of a socket: its headers (cookies
 * included), URL and the client's address. (Keeping the whole IncomingMessage would
 * cost several KB per idle connection.)
 */
export interface RealtimeUpgradeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The client's address as `req.ip` would give it: the HTTP platform's trust-proxy setting applied. */
  readonly ip: string | undefined;
  readonly socket: {
    readonly remoteAddress: string | undefined;
    readonly remotePort: number | undefined;
    /** Whether the connection itself is TLS (not what a proxy says). */
    readonly encrypted: boolean;
  };
}

/** What a message handler knows about the connection a message came from. */
export interface RealtimeContext {
  /** The connection's client view: subscribe, unsubscribe, push, send. */
  socket: RealtimeSocket;
  connectionId: string;
  digest: string;
  /** The upgrade request: headers, cookies, URL, remote address. */
  request: RealtimeUpgradeRequest;
  /** Aborted when the connection closes: pass it to work that should stop with it. */
  readonly signal: AbortSignal;
}

/** Implemented by classes decorated with `@MessageHandler(action)`. */
export interface RealtimeMessageHandler {
  /** The return value is the reply payload; an Observable streams several replies with the request's id. */
  handle(
    message: RealtimeMessage,
    context: RealtimeContext,
  ): unknown | Promise<unknown> | Observable<unknown>;
}
