import type { Type } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { RealtimeDigestGuard } from './handlers/digest.guard';
import type { RealtimeRedisOption } from './registry/redis/redis-clients';

/** Decides whether a cross-origin handshake is allowed. */
export type OriginPredicate = (
  origin: string,
  request: IncomingMessage,
) => boolean;

/** Options of the socket-key cookie (SPEC §2, §5). */
export interface RealtimeCookieOptions {
  /** Cookie name. Default `realtime_key`. */
  name?: string;
  /** `true`, `false`, or `'auto'` (Secure when the request came over HTTPS). Default `'auto'`. */
  secure?: boolean | 'auto';
  /** Default `'lax'`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** Default `/`. */
  path?: string;
  /** Lifetime in milliseconds; `0` makes it a session cookie. Default 365 days. */
  maxAge?: number;
}

/** Options of `RealtimeModule.forRoot()` (SPEC §3, §5, §6, §7). */
export interface RealtimeModuleOptions {
  /** WebSocket path on the HTTP server's port. Default `/`. */
  path?: string;
  /** Server secret shared by all instances (at least 32 characters). */
  secret?: string;
  /** `'memory'` (one process) or `'redis'`. Default `memory` (`redis` when NODE_ENV=production). */
  registry?: 'memory' | 'redis';
  /** Redis connection: URL, RedisOptions, `{ nodes, options }` for Cluster, or a ready Redis/Cluster client (used as a template). Default `redis://127.0.0.1:6379`. */
  redis?: RealtimeRedisOption;
  /** Prefix of every Redis key and pub/sub channel. Default `realtime:`. */
  keyPrefix?: string;
  /** How long `push` (and subscribe) may wait for the registry before rejecting with `registry_unavailable`, ms. Default 5000. */
  publishTimeout?: number;
  /** The socket-key cookie. */
  cookie?: RealtimeCookieOptions;
  /** What to do with a handshake whose id/key pair was not issued: `'inert'` (default) or `'reject'` (HTTP 403). */
  onInvalidConnection?: 'inert' | 'reject';
  /** Extra origins allowed to open sockets (full origins such as `https://app.example:8443`) or a predicate. */
  allowedOrigins?: readonly string[] | OriginPredicate;
  /** Refuse handshakes without an `Origin` header. Default `false`. */
  requireOrigin?: boolean;
  /** Trust `X-Forwarded-Proto` for the scheme of the app's own origin and of the cookie. Default `false`. */
  trustProxy?: boolean;
  /** Where the module serves the browser client script (`window.Realtime`); `false` turns it off. Default `/realtime/client.js`. */
  clientPath?: string | false;
  /** Add `data-socket-connection-id` to the `<body>` of HTML responses. Default `true`. */
  injectConnectionId?: boolean;
  /** How long a disconnected client view keeps its subscriptions, ms. Default 30 000. */
  reconnectGrace?: number;
  /** How long subscriptions of a never-connected id live, ms. Default 300 000. */
  pendingTtl?: number;
  /** Largest inbound frame in bytes; larger frames close the socket with 1009. Default 65 536. */
  maxPayload?: number;
  /** Per-connection request budget: `messages` per `interval` ms; the `closeAfter`-th refused request closes the socket with 1008. */
  rateLimit?: RateLimitOptions;
  /** Outbound backlog per socket above which it is closed with 4000 (slow consumer), bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Ping interval, ms; a socket that does not answer within two intervals is terminated. `0` disables. Default 25 000. */
  heartbeatInterval?: number;
  /** On shutdown: how long in-flight replies and closing handshakes may take, ms. Default 10 000. */
  shutdownTimeout?: number;
  /** Open sockets per issued socket key; more get HTTP 429. Default 16. */
  maxConnectionsPerClient?: number;
  /** Open sockets per client address (the one the HTTP platform's trust-proxy setting gives), whatever keys they present; more get HTTP 429. Default 64. */
  maxConnectionsPerAddress?: number;
  /** Open sockets on this instance; more get HTTP 503. Default 10 000. */
  maxConnections?: number;
  /** Longest channel name (and `pushMatching` pattern), characters; longer ones are refused with `invalid_channel`. Default 256. */
  maxChannelLength?: number;
  /** Distinct channels one client view may hold; a subscribe past it rejects with `too_many_channels` and applies nothing. Default 1000. */
  maxChannelsPerView?: number;
  /** How long a `call-route` may wait for its route, ms; then `handler_error` with status 504 and the route's request is aborted. Default 30 000. */
  callRouteTimeout?: number;
  /** Requests of one connection whose handler has not settled (the bundled `ping` excluded); more get `rate_limited`. Default 32. */
  maxInFlight?: number;
  /** Bundled actions (`'ping'`, `'call-route'`) that a user handler may replace. Default none. */
  replaceBundledHandlers?: readonly string[];
  /** A subclass of RealtimeDigestGuard to run first for every socket request. */
  digestGuard?: Type<RealtimeDigestGuard>;
}

/** The per-connection rate limit of SPEC §7. */
export interface RateLimitOptions {
  /** Requests allowed per interval. Default 100. */
  messages?: number;
  /** Interval, ms. Default 10 000. */
  interval?: number;
  /** The n-th `rate_limited` reply closes the socket with 1008. Default 3. */
  closeAfter?: number;
}

/** Options after defaults and validation. */
export interface ResolvedRealtimeOptions {
  path: string;
  secret: string;
  secretGenerated: boolean;
  registry: 'memory' | 'redis';
  redis: RealtimeRedisOption;
  keyPrefix: string;
  publishTimeout: number;
  cookie: Required<RealtimeCookieOptions>;
  onInvalidConnection: 'inert' | 'reject';
  allowedOrigins: OriginPredicate | ReadonlySet<string>;
  requireOrigin: boolean;
  trustProxy: boolean;
  injectConnectionId: boolean;
  clientPath: string | false;
  reconnectGrace: number;
  pendingTtl: number;
  maxPayload: number;
  rateLimit: Required<RateLimitOptions>;
  maxBufferedBytes: number;
  heartbeatInterval: number;
  shutdownTimeout: number;
  maxConnectionsPerClient: number;
  maxConnectionsPerAddress: number;
  maxConnections: number;
  maxChannelLength: number;
  maxChannelsPerView: number;
  callRouteTimeout: number;
  maxInFlight: number;
  replaceBundledHandlers: readonly string[];
  digestGuard: Type<RealtimeDigestGuard> | undefined;
}

const DAY = 24 * 60 * 60 * 1000;

/** Every default of SPEC §3/§5/§6/§7 in one place (the README's configuration table lists them). */
export const DEFAULTS = {
  path: '/',
  redis: 'redis://127.0.0.1:6379',
  keyPrefix: 'realtime:',
  publishTimeout: 5000,
  cookie: {
    name: 'realtime_key',
    secure: 'auto',
    sameSite: 'lax',
    path: '/',
    maxAge: 365 * DAY,
  },
  onInvalidConnection: 'inert',
  requireOrigin: false,
  trustProxy: false,
  injectConnectionId: true,
  clientPath: '/realtime/client.js',
  reconnectGrace: 30_000,
  pendingTtl: 300_000,
  maxPayload: 64 * 1024,
  rateLimit: { messages: 100, interval: 10_000, closeAfter: 3 },
  maxBufferedBytes: 1024 * 1024,
  heartbeatInterval: 25_000,
  shutdownTimeout: 10_000,
  maxConnectionsPerClient: 16,
  maxConnectionsPerAddress: 64,
  maxConnections: 10_000,
  maxChannelLength: 256,
  maxChannelsPerView: 1000,
  callRouteTimeout: 30_000,
  maxInFlight: 32,
} as const;

export { resolveOptions } from './options/resolve-options';
