import { HttpException } from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import { RealtimeError } from '../exceptions/realtime.error';
import { HANDLER_FAILED } from '../realtime.messages';
import { errorFrame, ErrorCode, type RequestId } from '../protocol';

function httpMessage(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * README "Wire protocol": a thrown error becomes an error frame. `RealtimeError`, `HttpException` and
 * `WsException` pass their message (and HTTP status) on; anything else is reported
 * with a generic message, so internals never leak to clients.
 */
export function errorFrameFor(
  id: RequestId,
  error: unknown,
): { frame: string; unexpected: boolean } {
  if (error instanceof RealtimeError)
    return {
      frame: errorFrame(id, error.code, error.message),
      unexpected: false,
    };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code =
      status === 401 || status === 403
        ? ErrorCode.Unauthorized
        : ErrorCode.HandlerError;
    return {
      frame: errorFrame(id, code, httpMessage(error), status),
      unexpected: false,
    };
  }
  if (error instanceof WsException) {
    const raw = error.getError();
    const message =
      typeof raw === 'string'
        ? raw
        : String((raw as { message?: unknown })?.message ?? error.message);
    return {
      frame: errorFrame(id, ErrorCode.HandlerError, message),
      unexpected: false,
    };
  }
  return {
    frame: errorFrame(id, ErrorCode.HandlerError, HANDLER_FAILED),
    unexpected: true,
  };
}
