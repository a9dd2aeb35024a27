import { GatewayTimeoutException, Inject } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  inject,
  type InjectOptions,
  type Response as InjectResponse,
} from 'light-my-request';
import type { IncomingHttpHeaders } from 'node:http';
import { RealtimeError } from '../exceptions/realtime.error';
import type { FastifyLike } from '../http/platform';
import {
  CALL_HEADER,
  prepareCallSocket,
  SocketCalls,
} from '../http/socket-calls';
import { REALTIME_OPTIONS } from '../realtime.constants';
import {
  CALL_CLOSED,
  CALL_GET_INPUT,
  CALL_METHOD,
  CALL_ROUTE_TIMEOUT,
  CALL_URI_CONTROL,
  CALL_URI_NOT_PATH,
  CALL_URI_TOO_LONG,
} from '../realtime.messages';
import type { ResolvedRealtimeOptions } from '../options';
import type {
  RealtimeContext,
  RealtimeMessage,
  RealtimeMessageHandler,
} from '../interfaces/realtime-message';
import { BundledHandler } from './message-handler.decorator';

/** The reply payload of `call-route`. */
export interface CallRouteResponse {
  status: number;
  headers: Record<string, string | string[]>;
  body: unknown;
}

const METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);
const MAX_URI_LENGTH = 8192;
// Hop-by-hop headers mean nothing to a socket client; Set-Cookie would hand HttpOnly cookies to page scripts.
const DROPPED_RESPONSE_HEADERS = new Set([
  'set-cookie',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);
// The proxy headers go through as sent: the app's own trust-proxy setting decides what
// req.ip, req.ips, req.protocol and req.host make of them, exactly as for HTTP (README "Security and limits").
const FORWARDED_HEADERS = [
  'cookie',
  'authorization',
  'host',
  'user-agent',
  'accept-language',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
] as const;

const TIMED_OUT = Symbol('callRouteTimeout');
const CLOSED = new RealtimeError('handler_error', CALL_CLOSED);

function badRequest(message: string): RealtimeError {
  return new RealtimeError('bad_request', message);
}

function readMethod(value: unknown): string {
  const method = typeof value === 'string' ? value.toUpperCase() : '';
  if (!METHODS.has(method)) throw badRequest(CALL_METHOD([...METHODS]));
  return method;
}

function readUri(value: unknown): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    value.startsWith('//')
  ) {
    throw badRequest(CALL_URI_NOT_PATH);
  }
  if (value.length > MAX_URI_LENGTH)
    throw badRequest(CALL_URI_TOO_LONG(MAX_URI_LENGTH));
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(value)) throw badRequest(CALL_URI_CONTROL);
  return value;
}

/** GET input becomes query parameters: scalars as text, arrays repeated, objects as JSON. */
function toQuery(
  input: unknown,
): Record<string, string | string[]> | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object' || Array.isArray(input))
    throw badRequest(CALL_GET_INPUT);
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || value === null) continue;
    query[key] = Array.isArray(value) ? value.map(scalar) : scalar(value);
  }
  return query;
}

function scalar(value: unknown): string {
  return typeof value === 'object' && value !== null
    ? JSON.stringify(value)
    : String(value);
}

function parseBody(payload: string, contentType: string | undefined): unknown {
  if (payload.length === 0) return null;
  if (contentType && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(payload);
    } catch {
      return payload;
    }
  }
  return payload;
}

/**
 * light-my-request rewires Express's shared request/response prototypes to its own when
 * given an Express app, which breaks every real request served afterwards. Dispatching
 * through a plain function skips that; its own methods are copied onto each mock
 * request/response, so they survive Express setting its prototypes per request.
 */
function keepOwnMethods(target: object): void {
  const proto = Object.getPrototypeOf(target) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    if (name === 'constructor') continue;
    Object.defineProperty(target, name, {
      value: proto[name],
      writable: true,
      configurable: true,
    });
  }
}

type ExpressHandler = (req: object, res: object) => void;

/** Runs one request through an Express app in process. */
function injectExpress(
  app: ExpressHandler,
  options: InjectOptions,
  encrypted: boolean,
): Promise<InjectResponse> {
  return inject((req, res) => {
    keepOwnMethods(req);
    keepOwnMethods(res);
    prepareCallSocket((req as { socket: object }).socket, encrypted);
    app(req, res);
  }, options);
}

/**
 * `{"action":"call-route","method","uri","input"}`: calls the app's own HTTP route in
 * process through the whole Express/Nest pipeline (middleware, guards, pipes,
 * interceptors, filters), as the connection's client: its cookies, Authorization and
 * proxy headers are forwarded, the request comes from the client's own address (over
 * TLS when the socket was), and `@Socket()` in the route is this very connection. The
 * call is aborted after `callRouteTimeout` (504) or when the socket closes.
 */
@BundledHandler('call-route')
export class CallRouteHandler implements RealtimeMessageHandler {
  private readonly timeout: number;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly calls: SocketCalls,
    @Inject(REALTIME_OPTIONS) options: ResolvedRealtimeOptions,
  ) {
    this.timeout = options.callRouteTimeout;
  }

  async handle(
    message: RealtimeMessage,
    context: RealtimeContext,
  ): Promise<CallRouteResponse> {
    const method = readMethod(message.method);
    const url = readUri(message.uri);
    const options: InjectOptions = {
      method: method as InjectOptions['method'],
      url,
      headers: this.headers(context.request.headers),
    };
    if (method === 'GET' || method === 'HEAD') {
      options.query = toQuery(message.input);
    } else if (message.input !== undefined) {
      options.payload = JSON.stringify(message.input);
      (options.headers as Record<string, string>)['content-type'] =
        'application/json';
    }
    options.remoteAddress = context.request.socket.remoteAddress;
    const encrypted = context.request.socket.encrypted;
    const callId = this.calls.open(context.socket, encrypted === true);
    (options.headers as Record<string, string>)[CALL_HEADER] = callId;
    const abort = new AbortController();
    options.signal = abort.signal;
    const timer = setTimeout(() => abort.abort(TIMED_OUT), this.timeout);
    const onClose = () => abort.abort(CLOSED);
    context.signal.addEventListener('abort', onClose, { once: true });
    try {
      const adapter = this.adapterHost.httpAdapter;
      const aborted = new Promise<never>((_, reject) =>
        abort.signal.addEventListener('abort', () =>
          reject(
            abort.signal.reason === TIMED_OUT
              ? new GatewayTimeoutException(CALL_ROUTE_TIMEOUT(this.timeout))
              : abort.signal.reason,
          ),
        ),
      );
      const response = await Promise.race([
        adapter.getType() === 'fastify'
          ? // Through Fastify's own inject: its hooks mark the call's request (TLS, @Socket()).
            adapter.getInstance<FastifyLike>().inject(options)
          : injectExpress(
              adapter.getInstance() as ExpressHandler,
              options,
              encrypted === true,
            ),
        aborted,
      ]);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !DROPPED_RESPONSE_HEADERS.has(name))
          headers[name] = Array.isArray(value) ? value : String(value);
      }
      return {
        status: response.statusCode,
        headers,
        // A HEAD reply has no body (Fastify's in-process reply keeps the one a GET would send).
        body:
          method === 'HEAD'
            ? null
            : parseBody(
                response.payload,
                response.headers['content-type'] as string | undefined,
              ),
      };
    } finally {
      clearTimeout(timer);
      context.signal.removeEventListener('abort', onClose);
      this.calls.close(callId);
    }
  }

  private headers(upgrade: IncomingHttpHeaders): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = upgrade[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return headers;
  }
}
