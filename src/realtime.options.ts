import { randomBytes } from 'node:crypto';
import type { Type } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { RealtimeDigestGuard } from './handlers/digest.guard';
import type { RealtimeRedisOption } from './registry/redis/redis-clients';
import { MISSING_SECRET, optionError } from './realtime.messages';

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
  /** Open sockets per socket key (per remote address without a key); more get HTTP 429. Default 16. */
  maxConnectionsPerClient?: number;
  /** Open sockets on this instance; more get HTTP 503. Default 10 000. */
  maxConnections?: number;
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
  maxConnections: number;
  replaceBundledHandlers: readonly string[];
  digestGuard: Type<RealtimeDigestGuard> | undefined;
}

const KNOWN = new Set<string>([
  'path',
  'secret',
  'registry',
  'redis',
  'keyPrefix',
  'publishTimeout',
  'cookie',
  'onInvalidConnection',
  'allowedOrigins',
  'requireOrigin',
  'trustProxy',
  'injectConnectionId',
  'clientPath',
  'reconnectGrace',
  'pendingTtl',
  'maxPayload',
  'rateLimit',
  'maxBufferedBytes',
  'heartbeatInterval',
  'shutdownTimeout',
  'maxConnectionsPerClient',
  'maxConnections',
  'replaceBundledHandlers',
  'digestGuard',
]);
const BUNDLED_ACTIONS = ['ping', 'call-route'];
const COOKIE_KNOWN = new Set(['name', 'secure', 'sameSite', 'path', 'maxAge']);
const DAY = 24 * 60 * 60 * 1000;
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

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
  maxConnections: 10_000,
} as const;

function duration(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new Error(
      optionError(
        name,
        `must be a number of milliseconds >= ${min}, got ${describe(value)}`,
      ),
    );
  }
  return value;
}

function bool(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new Error(
      optionError(name, `must be true or false, got ${describe(value)}`),
    );
  return value;
}

function oneOf<T extends string>(
  name: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) {
    throw new Error(
      optionError(
        name,
        `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${describe(value)}`,
      ),
    );
  }
  return value as T;
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 60 ? value.slice(0, 60) + '…' : value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return String(value);
}

function resolveCookie(value: unknown): Required<RealtimeCookieOptions> {
  if (value === undefined) return { ...DEFAULTS.cookie };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      optionError(
        'cookie',
        `must be an object { name, secure, sameSite, path, maxAge }, got ${describe(value)}`,
      ),
    );
  }
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) {
    if (!COOKIE_KNOWN.has(key))
      throw new Error(optionError(`cookie.${key}`, 'is not a known option'));
  }
  const name = c.name === undefined ? DEFAULTS.cookie.name : c.name;
  if (typeof name !== 'string' || !COOKIE_NAME.test(name)) {
    throw new Error(
      optionError(
        'cookie.name',
        `must be a valid cookie name, got ${describe(name)}`,
      ),
    );
  }
  const path = c.path === undefined ? DEFAULTS.cookie.path : c.path;
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s]/.test(path)) {
    throw new Error(
      optionError(
        'cookie.path',
        `must start with "/" and contain no ";" or spaces, got ${describe(path)}`,
      ),
    );
  }
  const secure = c.secure === undefined ? DEFAULTS.cookie.secure : c.secure;
  if (secure !== true && secure !== false && secure !== 'auto') {
    throw new Error(
      optionError(
        'cookie.secure',
        `must be true, false or 'auto', got ${describe(secure)}`,
      ),
    );
  }
  const sameSite = oneOf(
    'cookie.sameSite',
    c.sameSite,
    ['lax', 'strict', 'none'] as const,
    DEFAULTS.cookie.sameSite,
  );
  if (sameSite === 'none' && secure === false) {
    throw new Error(
      optionError(
        'cookie.sameSite',
        `'none' needs cookie.secure true or 'auto' (browsers drop SameSite=None cookies without Secure)`,
      ),
    );
  }
  return {
    name,
    path,
    secure,
    sameSite,
    maxAge: duration('cookie.maxAge', c.maxAge, DEFAULTS.cookie.maxAge, 0),
  };
}

function resolveOrigins(value: unknown): OriginPredicate | ReadonlySet<string> {
  if (value === undefined) return new Set();
  if (typeof value === 'function') return value as OriginPredicate;
  if (!Array.isArray(value)) {
    throw new Error(
      optionError(
        'allowedOrigins',
        `must be an array of origins or a function, got ${describe(value)}`,
      ),
    );
  }
  const set = new Set<string>();
  for (const origin of value) {
    let parsed: URL | undefined;
    try {
      parsed = typeof origin === 'string' ? new URL(origin) : undefined;
    } catch {
      parsed = undefined;
    }
    // Bare origins only: scheme, host and optional port (a default port is normalized away).
    const bare =
      parsed !== undefined &&
      parsed.origin !== 'null' &&
      parsed.pathname === '/' &&
      !parsed.search &&
      !parsed.hash &&
      !parsed.username &&
      !parsed.password &&
      !/^[^:]+:\/\/[^/]+\/./.test(origin) &&
      !/[?#]/.test(origin);
    if (!parsed || !bare) {
      throw new Error(
        optionError(
          'allowedOrigins',
          `entries must be full origins like "https://app.example:8443" (scheme, host, optional port; no path), got ${describe(origin)}`,
        ),
      );
    }
    set.add(parsed.origin);
  }
  return set;
}

/** Applies defaults and validates; throws an Error naming the option on bad input. */
export function resolveOptions(
  raw: RealtimeModuleOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedRealtimeOptions {
  const options = (raw ?? {}) as Record<string, unknown>;
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new Error('RealtimeModule: options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new Error(optionError(key, 'is not a known option'));
  }
  const production = env.NODE_ENV === 'production';
  const registry = oneOf(
    'registry',
    options.registry,
    ['memory', 'redis'] as const,
    production ? 'redis' : 'memory',
  );

  const path = options.path === undefined ? DEFAULTS.path : options.path;
  if (
    typeof path !== 'string' ||
    !path.startsWith('/') ||
    /[?#\s]/.test(path)
  ) {
    throw new Error(
      optionError(
        'path',
        `must be a URL path starting with "/" (no query, fragment or spaces), got ${describe(path)}`,
      ),
    );
  }

  let secret = options.secret;
  let secretGenerated = false;
  if (secret === undefined || secret === '') {
    if (registry === 'redis')
      throw new Error(MISSING_SECRET('with the Redis registry'));
    if (production) throw new Error(MISSING_SECRET('when NODE_ENV=production'));
    secret = randomBytes(32).toString('base64url');
    secretGenerated = true;
  } else if (typeof secret !== 'string' || secret.length < 32) {
    throw new Error(
      optionError(
        'secret',
        `must be a string of at least 32 characters, got ${typeof secret === 'string' ? `${secret.length} characters` : describe(secret)}`,
      ),
    );
  }

  const maxPayload = options.maxPayload ?? DEFAULTS.maxPayload;
  if (!Number.isInteger(maxPayload) || (maxPayload as number) < 64) {
    throw new Error(
      optionError(
        'maxPayload',
        `must be a whole number of bytes >= 64, got ${describe(maxPayload)}`,
      ),
    );
  }

  return {
    path,
    secret: secret as string,
    secretGenerated,
    registry,
    redis: resolveRedis(options.redis),
    keyPrefix: resolveKeyPrefix(options.keyPrefix),
    publishTimeout: duration(
      'publishTimeout',
      options.publishTimeout,
      DEFAULTS.publishTimeout,
      1,
    ),
    cookie: resolveCookie(options.cookie),
    onInvalidConnection: oneOf(
      'onInvalidConnection',
      options.onInvalidConnection,
      ['inert', 'reject'] as const,
      DEFAULTS.onInvalidConnection,
    ),
    allowedOrigins: resolveOrigins(options.allowedOrigins),
    requireOrigin: bool(
      'requireOrigin',
      options.requireOrigin,
      DEFAULTS.requireOrigin,
    ),
    trustProxy: bool('trustProxy', options.trustProxy, DEFAULTS.trustProxy),
    clientPath: resolveClientPath(options.clientPath),
    injectConnectionId: bool(
      'injectConnectionId',
      options.injectConnectionId,
      DEFAULTS.injectConnectionId,
    ),
    reconnectGrace: duration(
      'reconnectGrace',
      options.reconnectGrace,
      DEFAULTS.reconnectGrace,
      0,
    ),
    pendingTtl: duration(
      'pendingTtl',
      options.pendingTtl,
      DEFAULTS.pendingTtl,
      1,
    ),
    maxPayload: maxPayload as number,
    rateLimit: resolveRateLimit(options.rateLimit),
    maxBufferedBytes: count(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      DEFAULTS.maxBufferedBytes,
      1024,
    ),
    heartbeatInterval: duration(
      'heartbeatInterval',
      options.heartbeatInterval,
      DEFAULTS.heartbeatInterval,
      0,
    ),
    shutdownTimeout: duration(
      'shutdownTimeout',
      options.shutdownTimeout,
      DEFAULTS.shutdownTimeout,
      0,
    ),
    maxConnectionsPerClient: count(
      'maxConnectionsPerClient',
      options.maxConnectionsPerClient,
      DEFAULTS.maxConnectionsPerClient,
      1,
    ),
    maxConnections: count(
      'maxConnections',
      options.maxConnections,
      DEFAULTS.maxConnections,
      1,
    ),
    replaceBundledHandlers: resolveReplaced(options.replaceBundledHandlers),
    digestGuard: resolveGuard(options.digestGuard),
  };
}

function resolveReplaced(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (
    !Array.isArray(value) ||
    !value.every((v) => BUNDLED_ACTIONS.includes(v as string))
  ) {
    throw new Error(
      optionError(
        'replaceBundledHandlers',
        `must be an array of bundled actions (${BUNDLED_ACTIONS.map((a) => `'${a}'`).join(', ')}), got ${describe(value)}`,
      ),
    );
  }
  return [...(value as string[])];
}

function resolveGuard(value: unknown): Type<RealtimeDigestGuard> | undefined {
  if (value === undefined) return undefined;
  const proto = (value as { prototype?: { canActivate?: unknown } } | null)
    ?.prototype;
  if (typeof value !== 'function' || typeof proto?.canActivate !== 'function') {
    throw new Error(
      optionError(
        'digestGuard',
        `must be a class extending RealtimeDigestGuard, got ${describe(value)}`,
      ),
    );
  }
  return value as Type<RealtimeDigestGuard>;
}

function resolveRedis(value: unknown): RealtimeRedisOption {
  if (value === undefined) return DEFAULTS.redis;
  if (typeof value === 'string') {
    if (!/^rediss?:\/\//.test(value)) {
      throw new Error(
        optionError(
          'redis',
          `must be a redis:// or rediss:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${describe(value)}`,
        ),
      );
    }
    return value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      optionError(
        'redis',
        `must be a redis:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${describe(value)}`,
      ),
    );
  }
  const nodes = (value as { nodes?: unknown }).nodes;
  if (nodes !== undefined && (!Array.isArray(nodes) || nodes.length === 0)) {
    throw new Error(
      optionError(
        'redis.nodes',
        'must be a non-empty array of cluster nodes ({ host, port } or "host:port")',
      ),
    );
  }
  return value as RealtimeRedisOption;
}

function resolveKeyPrefix(value: unknown): string {
  if (value === undefined) return DEFAULTS.keyPrefix;
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 100 ||
    /[\s{}]/.test(value)
  ) {
    throw new Error(
      optionError(
        'keyPrefix',
        `must be a non-empty string of at most 100 characters without spaces or braces, got ${describe(value)}`,
      ),
    );
  }
  return value;
}

function count(
  name: string,
  value: unknown,
  fallback: number,
  min: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new Error(
      optionError(
        name,
        `must be a whole number >= ${min}, got ${describe(value)}`,
      ),
    );
  }
  return value;
}

function resolveRateLimit(value: unknown): Required<RateLimitOptions> {
  const defaults = DEFAULTS.rateLimit;
  if (value === undefined) return { ...defaults };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(
      optionError(
        'rateLimit',
        `must be an object { messages, interval, closeAfter }, got ${describe(value)}`,
      ),
    );
  }
  const r = value as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!['messages', 'interval', 'closeAfter'].includes(key))
      throw new Error(optionError(`rateLimit.${key}`, 'is not a known option'));
  }
  return {
    messages: count('rateLimit.messages', r.messages, defaults.messages, 1),
    interval: duration('rateLimit.interval', r.interval, defaults.interval, 1),
    closeAfter: count(
      'rateLimit.closeAfter',
      r.closeAfter,
      defaults.closeAfter,
      1,
    ),
  };
}

function resolveClientPath(value: unknown): string | false {
  if (value === undefined) return DEFAULTS.clientPath;
  if (value === false) return false;
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(value)) {
    throw new Error(
      optionError(
        'clientPath',
        `must be a URL path like "/realtime/client.js" or false, got ${describe(value)}`,
      ),
    );
  }
  return value;
}
