import { Inject, Injectable, Logger } from '@nestjs/common';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { RawData } from 'ws';
import type {
  HandlerArgs,
  HandlerEntry,
} from '../handlers/message-handler.explorer';
import { MessageHandlers } from '../handlers/message-handlers';
import {
  CloseCode,
  errorFrame,
  ErrorCode,
  FrameProblem,
  parseRequest,
  replyFrame,
  requestIdOf,
  type RequestFrame,
  type RequestId,
} from '../protocol';
import { REALTIME_OPTIONS } from '../realtime.constants';
import {
  RATE_LIMITED,
  TOO_MANY_IN_FLIGHT,
  UNAUTHORIZED,
  UNKNOWN_ACTION,
} from '../realtime.messages';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import { errorFrameFor } from './error-frames';
import { RateLimiter, type RateLimit } from './rate-limiter';
import type { RealtimeConnection } from './realtime-connection';

/**
 * Everything a client sends, from frame to reply (README "Wire protocol"): the rate limit (pings
 * included), parsing (`bad_request` for what is not a request), `maxInFlight`, the
 * handler's run, and the replies — one per value, one per emission of an Observable, an
 * error frame for a throw — written through the connection's one send path. Nothing is
 * silently ignored; nothing a client sends can throw out of here.
 */
@Injectable()
export class Inbound {
  private readonly logger = new Logger('Realtime');
  private readonly rateLimiter: RateLimiter;
  private readonly maxInFlight: number;
  /** Requests whose handler has not replied yet, on every connection (shutdown waits for them). */
  inFlight = 0;

  constructor(
    private readonly stats: RealtimeStatsCounter,
    private readonly handlers: MessageHandlers,
    @Inject(REALTIME_OPTIONS)
    options: { rateLimit: RateLimit; maxInFlight: number },
  ) {
    this.rateLimiter = new RateLimiter(options.rateLimit);
    this.maxInFlight = options.maxInFlight;
  }

  /**
   * A WebSocket ping from the client: charged to its rateLimit like a request (a ping
   * over budget has no id, so it gets no error frame but counts toward closeAfter), then
   * answered, with the backlog checked (README "Security and limits").
   */
  ping(connection: RealtimeConnection, data: Buffer): void {
    if (!this.rateLimiter.take(connection, Date.now()))
      return this.refused(connection);
    connection.pong(data);
  }

  frame(
    connection: RealtimeConnection,
    data: RawData,
    isBinary: boolean,
  ): void {
    this.stats.messagesIn++;
    if (!this.rateLimiter.take(connection, Date.now())) {
      const id = isBinary ? null : requestIdOf(data.toString());
      this.fail(connection, id, ErrorCode.RateLimited, RATE_LIMITED);
      return this.refused(connection);
    }
    if (isBinary)
      return this.fail(
        connection,
        null,
        ErrorCode.BadRequest,
        FrameProblem.Binary,
      );
    const parsed = parseRequest(data.toString());
    if (!parsed.ok)
      return this.fail(
        connection,
        parsed.id,
        ErrorCode.BadRequest,
        parsed.problem,
      );
    const request = parsed.request;
    const entry = this.handlers.find(request.action);
    // README "Security and limits" maxInFlight: requests whose handler has not settled; the bundled ping is free.
    const counted = !(entry?.bundled && request.action === 'ping');
    if (counted) {
      if (connection.inFlight >= this.maxInFlight) {
        connection.strikes++;
        this.fail(
          connection,
          request.id,
          ErrorCode.RateLimited,
          TOO_MANY_IN_FLIGHT,
        );
        return this.refused(connection);
      }
      connection.inFlight++;
    }
    void this.run(connection, request, entry, counted);
  }

  private async run(
    connection: RealtimeConnection,
    request: RequestFrame,
    entry: HandlerEntry | undefined,
    counted: boolean,
  ): Promise<void> {
    const id = request.id;
    this.inFlight++;
    let streaming = false;
    const timings = this.stats.timings;
    const started = timings ? performance.now() : 0;
    let outcome = 'ok';
    try {
      const args: HandlerArgs = [connection.ws, request, connection.context];
      if (!(await this.handlers.authorize(entry, args))) {
        outcome = 'unauthorized';
        return this.fail(connection, id, ErrorCode.Unauthorized, UNAUTHORIZED);
      }
      if (!entry) {
        outcome = 'unknown_action';
        return this.fail(
          connection,
          id,
          ErrorCode.UnknownAction,
          UNKNOWN_ACTION(request.action),
        );
      }
      const result = await this.handlers.invoke(entry, args);
      if (isObservable(result))
        streaming = this.stream(connection, id, entry, result, counted);
      else connection.send(replyFrame(id, result));
    } catch (error) {
      outcome = 'error';
      this.failWith(connection, id, entry, error);
    } finally {
      this.inFlight--;
      if (counted && !streaming) connection.inFlight--;
      // Only registered actions name a label: anything else a client sends is `unknown`.
      timings?.handler(
        entry ? request.action : 'unknown',
        outcome,
        (performance.now() - started) / 1000,
      );
    }
  }

  /** A refusal was counted as a strike: the closeAfter-th closes the socket with 1008. */
  private refused(connection: RealtimeConnection): void {
    if (
      connection.strikes >= this.rateLimiter.closeAfter &&
      connection.closeReason === undefined
    ) {
      this.logger.warn(
        `Closed a socket over its rate limit${connection.connectionId ? ` (${connection.connectionId})` : ''} from ${connection.address || '?'}`,
      );
      connection.closeWith(
        CloseCode.Policy,
        'rate_limited',
        'rate limit exceeded',
      );
    }
  }

  /** Writes one reply per emission; true while the stream still runs after subscribing. */
  private stream(
    connection: RealtimeConnection,
    id: RequestId,
    entry: HandlerEntry,
    result: Observable<unknown>,
    counted: boolean,
  ): boolean {
    const holder: { subscription?: Subscription; ended?: boolean } = {};
    const end = () => {
      if (holder.ended) return;
      holder.ended = true;
      if (counted && holder.subscription) connection.inFlight--;
      if (holder.subscription) connection.streams?.delete(holder.subscription);
    };
    holder.subscription = result.subscribe({
      next: (value) => connection.send(replyFrame(id, value)),
      error: (error: unknown) => {
        end();
        this.failWith(connection, id, entry, error);
      },
      complete: end,
    });
    // A stream still running ends with its connection.
    if (holder.subscription.closed) return false;
    (connection.streams ??= new Set()).add(holder.subscription);
    return true;
  }

  private failWith(
    connection: RealtimeConnection,
    id: RequestId,
    entry: HandlerEntry | undefined,
    error: unknown,
  ): void {
    const { frame, unexpected } = errorFrameFor(id, error);
    if (unexpected) {
      this.logger.error(
        `Message handler ${entry?.className ?? '?'} failed`,
        error instanceof Error ? error.stack : String(error),
      );
    }
    connection.send(frame);
  }

  private fail(
    connection: RealtimeConnection,
    id: RequestId,
    code: string,
    message: string,
  ): void {
    connection.send(errorFrame(id, code, message));
  }
}
