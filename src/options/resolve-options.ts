import { randomBytes } from 'node:crypto';
import { MISSING_SECRET, optionError } from '../realtime.messages';
import {
  DEFAULTS,
  type RealtimeModuleOptions,
  type ResolvedRealtimeOptions,
} from '../realtime.options';
import {
  bool,
  count,
  describe,
  duration,
  numberOption,
  oneOf,
} from './option-validators';
import {
  resolveCookie,
  resolveOrigins,
  resolveReplaced,
  resolveGuard,
  resolveRedis,
  resolveKeyPrefix,
  resolveRateLimit,
  resolveClientPath,
} from './resolve-sub-options';

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
  'maxConnectionsPerAddress',
  'maxConnections',
  'maxChannelLength',
  'maxChannelsPerView',
  'callRouteTimeout',
  'maxInFlight',
  'replaceBundledHandlers',
  'digestGuard',
]);

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

  const maxPayload = numberOption(
    'maxPayload',
    options.maxPayload,
    DEFAULTS.maxPayload,
    64,
    'bytes',
  );

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
    maxPayload,
    rateLimit: resolveRateLimit(options.rateLimit),
    maxBufferedBytes: numberOption(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      DEFAULTS.maxBufferedBytes,
      1024,
      'bytes',
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
    maxConnectionsPerAddress: count(
      'maxConnectionsPerAddress',
      options.maxConnectionsPerAddress,
      DEFAULTS.maxConnectionsPerAddress,
      1,
    ),
    maxConnections: count(
      'maxConnections',
      options.maxConnections,
      DEFAULTS.maxConnections,
      1,
    ),
    maxChannelLength: count(
      'maxChannelLength',
      options.maxChannelLength,
      DEFAULTS.maxChannelLength,
      1,
    ),
    maxChannelsPerView: count(
      'maxChannelsPerView',
      options.maxChannelsPerView,
      DEFAULTS.maxChannelsPerView,
      1,
    ),
    callRouteTimeout: duration(
      'callRouteTimeout',
      options.callRouteTimeout,
      DEFAULTS.callRouteTimeout,
      1,
    ),
    maxInFlight: count(
      'maxInFlight',
      options.maxInFlight,
      DEFAULTS.maxInFlight,
      1,
    ),
    replaceBundledHandlers: resolveReplaced(options.replaceBundledHandlers),
    digestGuard: resolveGuard(options.digestGuard),
  };
}
