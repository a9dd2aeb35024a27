import type { Type } from '@nestjs/common';
import type { RealtimeDigestGuard } from '../handlers/digest.guard';
import type { OriginPredicate } from '../identity/origin';
import { DEFAULT_PATH, KEY_COOKIE } from '../protocol/wire';
import type { RealtimeRegistry } from '../registry/realtime-registry';
import type { RealtimeRedisOption } from '../registry/redis/redis-clients';
import {
  checkClientPath,
  checkCookieName,
  checkCookiePath,
  checkCookieSameSiteNone,
  checkCookieSecure,
  checkGuard,
  checkKeyPrefix,
  checkMetrics,
  checkOrigins,
  checkPath,
  checkRedis,
  checkRegistry,
  checkPresencePatterns,
  checkReplaced,
  checkSecret,
  defaultSecret,
  type MetricsRegistryLike,
  type MetricsSetting,
} from './option-checks';
import {
  bytes,
  choice,
  count,
  custom,
  flag,
  group,
  groupOrFalse,
  type InputsOf,
  ms,
  type OutputsOf,
} from './option-kinds';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Every option of `RealtimeModule.forRoot()` (README "API"), once: its doc
 * comment (shown by editors, and the README's configuration table is made from it:
 * `npm run docs:options`), its default and its check. The option types, the
 * unknown-option check and the resolved options all come from this table.
 */
export const OPTIONS = {
  /** WebSocket path on the HTTP server's port (with `forRootAsync`, give it to `forRootAsync({ path })`). */
  path: custom<string, string>({
    fallback: () => DEFAULT_PATH,
    check: checkPath,
  }),
  /** Where subscriptions live: `'memory'` (one process), `'redis'` (many instances), or a `RealtimeRegistry` of the app's own. */
  registry: custom<
    'memory' | 'redis' | RealtimeRegistry,
    'memory' | 'redis' | RealtimeRegistry
  >({
    fallback: (context) =>
      context.env.NODE_ENV === 'production' ? 'redis' : 'memory',
    check: checkRegistry,
    shows: "`'memory'` (`'redis'` when `NODE_ENV=production`)",
  }),
  /** Server secret shared by all instances, at least 32 characters; required with the Redis registry or when `NODE_ENV=production`. */
  secret: custom<string, string>({
    fallback: defaultSecret,
    check: checkSecret,
    shows: 'random per process (development only)',
  }),
  /** Redis connection: a URL, `RedisOptions`, `{ nodes, options }` for Cluster, or a ready `Redis`/`Cluster` client (duplicated, never closed). */
  redis: custom<RealtimeRedisOption, RealtimeRedisOption>({
    fallback: () => 'redis://127.0.0.1:6379',
    check: checkRedis,
  }),
  /** Prefix of every Redis key and pub/sub channel (no spaces or braces): two apps can share one Redis. */
  keyPrefix: custom<string, string>({
    fallback: () => 'realtime:',
    check: checkKeyPrefix,
  }),
  /** How long `push`, `subscribe`, `unsubscribe` and `sendTo` wait for the registry before rejecting with `registry_unavailable`. */
  publishTimeout: ms(5000, 1),
  /** The socket-key cookie. */
  cookie: group(
    {
      /** Name of the socket-key cookie. */
      name: custom<string, string>({
        fallback: () => KEY_COOKIE,
        check: checkCookieName,
      }),
      /** `true`, `false`, or `'auto'` (Secure when the request came over HTTPS). */
      secure: custom<boolean | 'auto', boolean | 'auto'>({
        fallback: () => 'auto',
        check: checkCookieSecure,
      }),
      /** `'lax'`, `'strict'` or `'none'` (`'none'` needs `secure` not `false`). */
      sameSite: choice(['lax', 'strict', 'none'] as const, 'lax'),
      /** Cookie path. */
      path: custom<string, string>({
        fallback: () => '/',
        check: checkCookiePath,
      }),
      /** Cookie lifetime; `0` makes it a session cookie. */
      maxAge: { ...ms(365 * DAY, 0), shows: '365 days' },
    },
    checkCookieSameSiteNone,
  ),
  /** `'inert'` accepts handshakes whose id was not issued for their key as inert sockets; `'reject'` answers them with 403. */
  onInvalidConnection: choice(['inert', 'reject'] as const, 'inert'),
  /** Extra origins allowed to open sockets: full origins (`'https://app.example:8443'`) or `(origin, req) => boolean`. */
  allowedOrigins: custom<
    readonly string[] | OriginPredicate,
    OriginPredicate | ReadonlySet<string>
  >({
    fallback: () => new Set<string>(),
    check: checkOrigins,
    shows: 'none',
  }),
  /** Refuse handshakes without an `Origin` header (403). */
  requireOrigin: flag(false),
  /** Trust `X-Forwarded-Proto` for the app's own origin and the cookie's `Secure` (client addresses follow Express's `trust proxy`). */
  trustProxy: flag(false),
  /** Add `data-socket-connection-id` to the `<body>` of HTML responses. */
  injectConnectionId: flag(true),
  /** Where the browser client script (`window.Realtime`) is served; `false` turns it off. */
  clientPath: custom<string | false, string | false>({
    fallback: () => '/realtime/client.js',
    check: checkClientPath,
  }),
  /** How long a disconnected client view keeps its subscriptions. */
  reconnectGrace: ms(30_000, 0),
  /** How long subscriptions of a never-connected id live. */
  pendingTtl: ms(300_000, 1),
  /** Largest inbound frame; a larger one closes the socket with 1009. */
  maxPayload: bytes(64 * 1024, 64),
  /** Per-socket request budget (WebSocket pings included): over it `rate_limited`; the `closeAfter`-th refusal in a row closes with 1008. */
  rateLimit: group({
    /** Requests allowed per `interval`. */
    messages: count(100, 1),
    /** The interval the budget refills over. */
    interval: ms(10_000, 1),
    /** The refusal in a row that closes the socket with 1008. */
    closeAfter: count(3, 1),
  }),
  /** Per-channel history for the no-gap guarantees (README "Delivery guarantees"): offsets on push frames, a resume frame first on every connection, replays after a render or a reconnect; `false` turns it off (the first wave's frames). A partial object merges with the defaults. */
  history: groupOrFalse(
    {
      /** Messages kept per channel with subscribers. */
      size: count(100, 0),
      /** How long a message is kept. */
      ttl: ms(120_000, 1),
      /** Most messages replayed to one connection (all channels together); channels fail with `limit`, largest gap first, until the rest fits. */
      maxReplay: count(1000, 0),
    },
    'on',
  ),
  /** Channels (names or `*` patterns) whose subscribers get presence frames when a user joins or leaves, and may ask `{"action":"presence"}` for the list (README "Users and presence"). */
  presence: custom<readonly string[], readonly string[]>({
    fallback: () => [],
    check: checkPresencePatterns,
    shows: '`[]`',
  }),
  /** How long a user whose last connection on a channel went stays present (a reload or a reconnect is not a leave and a join). */
  presenceGrace: ms(15_000, 0),
  /** Outbound backlog per socket before it is closed with 4000 (slow consumer). */
  maxBufferedBytes: bytes(1024 * 1024, 1024),
  /** WebSocket ping interval; a socket that has not echoed the previous ping is terminated; `0` disables. */
  heartbeatInterval: ms(25_000, 0),
  /** How long shutdown may take (in-flight replies, closing handshakes, unregistering). */
  shutdownTimeout: ms(10_000, 0),
  /** Open sockets per issued socket key; more get HTTP 429. */
  maxConnectionsPerClient: count(16, 1),
  /** Open sockets per client address (Express `trust proxy` applied), whatever keys they present; more get HTTP 429. */
  maxConnectionsPerAddress: count(64, 1),
  /** Open sockets on this instance; more get HTTP 503. */
  maxConnections: count(10_000, 1),
  /** Longest channel name or `pushMatching` pattern; longer ones are refused with `invalid_channel`. */
  maxChannelLength: count(256, 1),
  /** Distinct channels per client view; a subscribe past it rejects with `too_many_channels` and applies nothing. */
  maxChannelsPerView: count(1000, 1),
  /** How long a `call-route` waits for its route: then `handler_error` with status 504, and the route's request is aborted. */
  callRouteTimeout: ms(30_000, 1),
  /** Requests of one connection whose handler has not settled (the bundled `ping` excluded); more get `rate_limited`. */
  maxInFlight: count(32, 1),
  /** Bundled actions (`'ping'`, `'call-route'`) that a user `@MessageHandler` may take over. */
  replaceBundledHandlers: custom<readonly string[], readonly string[]>({
    fallback: () => [],
    check: checkReplaced,
  }),
  /** Prometheus metrics through prom-client (an optional peer; README "Metrics and health"): `true` registers them on prom-client's global registry with the prefix `realtime_`, `{ registry, prefix }` on a `Registry` of the app's own. */
  metrics: custom<
    boolean | { registry?: MetricsRegistryLike; prefix?: string },
    MetricsSetting
  >({
    fallback: () => false,
    check: checkMetrics,
    shows: '`false`',
  }),
  /** A subclass of `RealtimeDigestGuard` run first for every socket request. */
  digestGuard: custom<
    Type<RealtimeDigestGuard>,
    Type<RealtimeDigestGuard> | undefined
  >({
    fallback: () => undefined,
    check: checkGuard,
    shows: '`RealtimeDigestGuard`',
  }),
};

type Schema = typeof OPTIONS;

/** Options of `RealtimeModule.forRoot()`; every one optional, each documented above. */
export type RealtimeModuleOptions = InputsOf<Schema>;

/** The socket-key cookie (README "Channels and wildcards"). */
export type RealtimeCookieOptions = NonNullable<
  RealtimeModuleOptions['cookie']
>;

/** The per-connection rate limit (README "Security and limits"). */
export type RateLimitOptions = NonNullable<RealtimeModuleOptions['rateLimit']>;

/** The per-channel history (README "Delivery guarantees"), as resolved. */
export type HistoryOptions = Exclude<ResolvedRealtimeOptions['history'], false>;

/** Options after defaults and validation. */
export type ResolvedRealtimeOptions = OutputsOf<Schema> & {
  /** No secret was given: a random one was made for this process. */
  secretGenerated: boolean;
  /** No registry was given: NODE_ENV=production chose Redis. */
  registryFromEnv: boolean;
  /** A `redis` option was given, but the registry is not Redis: it is not used. */
  redisIgnored: boolean;
};
