import {
  Inject,
  Injectable,
  Logger,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/internal';
import { isObservable, type Observable, type Subscription } from 'rxjs';
import type { RawData } from 'ws';
import { errorFrame, replyFrame, type RequestId } from '../gateway/frames';
import type { RealtimeConnection } from '../gateway/realtime-connection';
import type { RealtimeMessage } from '../interfaces/realtime-message';
import { REALTIME_OPTIONS } from '../realtime.constants';
import {
  FRAME_BAD_ACTION,
  FRAME_BAD_ID,
  FRAME_BINARY,
  FRAME_NOT_JSON,
  FRAME_NOT_OBJECT,
  RATE_LIMITED,
  TOO_MANY_IN_FLIGHT,
  UNAUTHORIZED,
  UNKNOWN_ACTION,
} from '../realtime.messages';
import type { ResolvedRealtimeOptions } from '../realtime.options';
import { RealtimeStatsCounter } from '../realtime-stats.counter';
import { ConnectionHub } from '../gateway/connection-hub';
import { RateLimiter } from '../gateway/rate-limiter';
import { RealtimeDigestGuard } from './digest.guard';
import { errorFrameFor } from './error-frames';
import {
  type HandlerArgs,
  type HandlerEntry,
  MessageHandlerExplorer,
} from './message-handler.explorer';

const OPEN = 1; // WebSocket.OPEN

/** The id of a frame, when it has a usable one, for the `rate_limited` reply. */
function requestIdOf(data: RawData): RequestId {
  try {
    const id = (JSON.parse(data.toString()) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ||
      (typeof id === 'number' && Number.isFinite(id))
      ? id
      : null;
  } catch {
    return null;
  }
}

/**
 * Parses request frames (SPEC §4), answers malformed ones with `bad_request`, runs the
 * digest guard, then the handler of the action, and writes its replies. Nothing is
 * silently ignored; nothing a client sends can throw out of here.
 */
@Injectable()
export class MessageDispatcher implements OnModuleInit {
  private readonly logger = new Logger('Realtime');
  private handlers = new Map<string, HandlerEntry>();
  private digestGuard!: RealtimeDigestGuard;
  private readonly rateLimiter: RateLimiter;
  /** Requests whose handler has not replied yet (shutdown waits for them). */
  inFlight = 0;

  constructor(
    private readonly stats: RealtimeStatsCounter,
    private readonly explorer: MessageHandlerExplorer,
    private readonly moduleRef: ModuleRef,
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    private readonly hub: ConnectionHub,
  ) {
    this.rateLimiter = new RateLimiter(options.rateLimit);
  }

  async onModuleInit(): Promise<void> {
    this.handlers = this.explorer.explore();
    const guard: Type<RealtimeDigestGuard> =
      this.options.digestGuard ?? RealtimeDigestGuard;
    this.digestGuard = await this.moduleRef.create(guard);
  }

  /**
   * A WebSocket ping from the client: charged to its rateLimit like a request (a ping
   * over budget has no id, so it gets no error frame but counts toward closeAfter), then
   * answered, with the backlog checked (SPEC §7).
   */
  ping(connection: RealtimeConnection, data: Buffer): void {
    if (!this.rateLimiter.take(connection, Date.now()))
      return this.refused(connection);
    const ws = connection.ws;
    if (ws.readyState !== OPEN) return;
    ws.pong(data);
    this.hub.checkBackpressure(connection);
  }

  dispatch(
    connection: RealtimeConnection,
    data: RawData,
    isBinary: boolean,
  ): void {
    this.stats.messagesIn++;
    if (!this.rateLimiter.take(connection, Date.now())) {
      return this.rateLimited(connection, data, isBinary);
    }
    if (isBinary)
      return this.fail(connection, null, 'bad_request', FRAME_BINARY);
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return this.fail(connection, null, 'bad_request', FRAME_NOT_JSON);
    }
    if (
      typeof message !== 'object' ||
      message === null ||
      Array.isArray(message)
    ) {
      return this.fail(connection, null, 'bad_request', FRAME_NOT_OBJECT);
    }
    const { id, action } = message as Record<string, unknown>;
    if (
      typeof id !== 'string' &&
      !(typeof id === 'number' && Number.isFinite(id))
    ) {
      return this.fail(connection, null, 'bad_request', FRAME_BAD_ID);
    }
    if (typeof action !== 'string' || action.length === 0)
      return this.fail(connection, id, 'bad_request', FRAME_BAD_ACTION);
    const entry = this.handlers.get(action);
    // SPEC §7 maxInFlight: requests whose handler has not settled; the bundled ping is free.
    const counted = !(entry?.bundled && action === 'ping');
    if (counted) {
      if (connection.inFlight >= this.options.maxInFlight) {
        connection.strikes++;
        this.fail(connection, id, 'rate_limited', TOO_MANY_IN_FLIGHT);
        return this.refused(connection);
      }
      connection.inFlight++;
    }
    void this.run(connection, message as RealtimeMessage, entry, counted);
  }

  private async run(
    connection: RealtimeConnection,
    message: RealtimeMessage,
    entry: HandlerEntry | undefined,
    counted: boolean,
  ): Promise<void> {
    const id = message.id;
    this.inFlight++;
    let streaming = false;
    try {
      const args: HandlerArgs = [connection.ws, message, connection.context];
      const host = new ExecutionContextHost(
        args,
        entry?.metatype,
        entry?.metatype.prototype.handle,
      );
      host.setType('ws');
      if (!(await this.digestGuard.canActivate(host)))
        return this.fail(connection, id, 'unauthorized', UNAUTHORIZED);
      if (!entry)
        return this.fail(
          connection,
          id,
          'unknown_action',
          UNKNOWN_ACTION(message.action),
        );
      const result = await entry.invoke(args);
      if (isObservable(result))
        streaming = this.stream(connection, id, entry, result, counted);
      else this.write(connection, replyFrame(id, result));
    } catch (error) {
      this.failWith(connection, id, entry, error);
    } finally {
      this.inFlight--;
      if (counted && !streaming) connection.inFlight--;
    }
  }

  /** SPEC §7: `rate_limited`; the closeAfter-th refusal in a row closes the socket with 1008. */
  private rateLimited(
    connection: RealtimeConnection,
    data: RawData,
    isBinary: boolean,
  ): void {
    this.fail(
      connection,
      isBinary ? null : requestIdOf(data),
      'rate_limited',
      RATE_LIMITED,
    );
    this.refused(connection);
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
      connection.closeWith(1008, 'rate_limited', 'rate limit exceeded');
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
      next: (value) => this.write(connection, replyFrame(id, value)),
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
    this.write(connection, frame);
  }

  private fail(
    connection: RealtimeConnection,
    id: RequestId,
    code: string,
    message: string,
  ): void {
    this.write(connection, errorFrame(id, code, message));
  }

  private write(connection: RealtimeConnection, frame: string): void {
    const ws = connection.ws;
    if (ws.readyState !== OPEN) return;
    ws.send(frame);
    this.stats.messagesOut++;
    this.hub.checkBackpressure(connection);
  }
}
