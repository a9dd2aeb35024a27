import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
} from '@nestjs/common';
import type {
  RealtimeContext,
  RealtimeMessage,
} from '../interfaces/realtime-message';

/**
 * Runs first for every socket request: refuses requests from inert connections (an
 * id/key pair the server did not issue) with `unauthorized`. Extend it and pass the
 * class as the `digestGuard` option to add rules; override the protected hooks.
 */
@Injectable()
export class RealtimeDigestGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const ws = context.switchToWs();
    return this.isAuthorized(
      this.getRealtimeContext(context),
      ws.getData<RealtimeMessage>(),
      context,
    );
  }

  /** The realtime context of the message; undefined for an inert connection. */
  protected getRealtimeContext(
    context: ExecutionContext,
  ): RealtimeContext | undefined {
    return context.getArgByIndex<RealtimeContext | undefined>(2);
  }

  /** Whether the request may reach its handler. Default: the connection is not inert. */
  protected isAuthorized(
    realtime: RealtimeContext | undefined,
    _message: RealtimeMessage,
    _context: ExecutionContext,
  ): boolean | Promise<boolean> {
    return realtime !== undefined;
  }
}
