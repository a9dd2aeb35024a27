import type { Type } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { RealtimeDigestGuard } from '../handlers/digest.guard';
import type { OriginPredicate } from '../identity/origin';
import {
  MISSING_SECRET,
  REDIS_CHOSEN_BY_NODE_ENV,
  optionError,
} from '../realtime.messages';
import type { RealtimeRegistry } from '../registry/realtime-registry';
import type { RealtimeRedisOption } from '../registry/redis/redis-clients';
import type { OptionContext } from './option-kinds';
import { describe } from './option-validators';

// The checks of the options that are more than a number, a flag or a choice. Each
// throws an Error naming the option; `name` is the option's full name (`cookie.path`).

const BUNDLED_ACTIONS = ['ping', 'call-route', 'presence'];
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const REGISTRY_METHODS = [
  'subscribe',
  'unsubscribe',
  'publish',
  'publishMatching',
  'sendTo',
  'attach',
  'detach',
  'listen',
  'unlisten',
  'isReady',
  'close',
] as const;

function fail(name: string, problem: string): never {
  throw new Error(optionError(name, problem));
}

export function checkPath(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    /[?#\s]/.test(value)
  )
    fail(
      name,
      `must be a URL path starting with "/" (no query, fragment or spaces), got ${describe(value)}`,
    );
  return value;
}

/** A registry named, or one of the app's own (any object with the RealtimeRegistry methods). */
export function checkRegistry(
  value: unknown,
  name: string,
): 'memory' | 'redis' | RealtimeRegistry {
  if (value === 'memory' || value === 'redis') return value;
  if (typeof value === 'object' && value !== null) {
    const missing = REGISTRY_METHODS.filter(
      (method) =>
        typeof (value as Record<string, unknown>)[method] !== 'function',
    );
    if (missing.length === 0 && 'events$' in value)
      return value as RealtimeRegistry;
    fail(
      name,
      `must be 'memory', 'redis' or an object implementing RealtimeRegistry (missing: ${[...missing, ...('events$' in value ? [] : ['events$'])].join(', ')})`,
    );
  }
  return fail(
    name,
    `must be one of 'memory', 'redis' or a RealtimeRegistry, got ${describe(value)}`,
  );
}

/** Without a secret: required with Redis and in production, else a random one per process. */
export function defaultSecret(context: OptionContext): string {
  if (context.resolved.registry === 'redis')
    throw new Error(
      MISSING_SECRET(
        context.given?.registry === undefined
          ? REDIS_CHOSEN_BY_NODE_ENV
          : 'with the Redis registry',
      ),
    );
  if (context.env.NODE_ENV === 'production')
    throw new Error(MISSING_SECRET('when NODE_ENV=production'));
  return randomBytes(32).toString('base64url');
}

export function checkSecret(
  value: unknown,
  name: string,
  context: OptionContext,
): string {
  if (value === '') return defaultSecret(context);
  if (typeof value !== 'string' || value.length < 32)
    fail(
      name,
      `must be a string of at least 32 characters, got ${typeof value === 'string' ? `${value.length} characters` : describe(value)}`,
    );
  return value;
}

export function checkRedis(value: unknown, name: string): RealtimeRedisOption {
  if (typeof value === 'string') {
    if (!/^rediss?:\/\//.test(value))
      fail(
        name,
        `must be a redis:// or rediss:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${describe(value)}`,
      );
    return value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(
      name,
      `must be a redis:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${describe(value)}`,
    );
  const nodes = (value as { nodes?: unknown }).nodes;
  if (nodes !== undefined && (!Array.isArray(nodes) || nodes.length === 0))
    fail(
      `${name}.nodes`,
      'must be a non-empty array of cluster nodes ({ host, port } or "host:port")',
    );
  return value as RealtimeRedisOption;
}

export function checkKeyPrefix(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 100 ||
    /[\s{}]/.test(value)
  )
    fail(
      name,
      `must be a non-empty string of at most 100 characters without spaces or braces, got ${describe(value)}`,
    );
  return value;
}

/** Full origins (normalized: case, default port, trailing slash) or a predicate. */
export function checkOrigins(
  value: unknown,
  name: string,
): OriginPredicate | ReadonlySet<string> {
  if (typeof value === 'function') return value as OriginPredicate;
  if (!Array.isArray(value))
    fail(
      name,
      `must be an array of origins or a function, got ${describe(value)}`,
    );
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
    if (!parsed || !bare)
      fail(
        name,
        `entries must be full origins like "https://app.example:8443" (scheme, host, optional port; no path), got ${describe(origin)}`,
      );
    set.add(parsed.origin);
  }
  return set;
}

export function checkClientPath(value: unknown, name: string): string | false {
  if (value === false) return false;
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(value))
    fail(
      name,
      `must be a URL path like "/realtime/client.js" or false, got ${describe(value)}`,
    );
  return value;
}

export function checkReplaced(value: unknown, name: string): readonly string[] {
  if (
    !Array.isArray(value) ||
    !value.every((v) => BUNDLED_ACTIONS.includes(v as string))
  )
    fail(
      name,
      `must be an array of bundled actions (${BUNDLED_ACTIONS.map((a) => `'${a}'`).join(', ')}), got ${describe(value)}`,
    );
  return [...(value as string[])];
}

/** README "Users and presence": the channels (names or `*` patterns) whose subscribers are told who joins and leaves. */
export function checkPresencePatterns(
  value: unknown,
  name: string,
): readonly string[] {
  if (
    !Array.isArray(value) ||
    !value.every((v) => typeof v === 'string' && v.length > 0)
  )
    fail(
      name,
      `must be an array of channel names or patterns (e.g. ['room:*']), got ${describe(value)}`,
    );
  return [...(value as string[])];
}

export function checkGuard(
  value: unknown,
  name: string,
): Type<RealtimeDigestGuard> {
  const proto = (value as { prototype?: { canActivate?: unknown } } | null)
    ?.prototype;
  if (typeof value !== 'function' || typeof proto?.canActivate !== 'function')
    fail(
      name,
      `must be a class extending RealtimeDigestGuard, got ${describe(value)}`,
    );
  return value as Type<RealtimeDigestGuard>;
}

export function checkCookieName(value: unknown, name: string): string {
  if (typeof value !== 'string' || !COOKIE_NAME.test(value))
    fail(name, `must be a valid cookie name, got ${describe(value)}`);
  return value;
}

export function checkCookiePath(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    !value.startsWith('/') ||
    /[;\s]/.test(value)
  )
    fail(
      name,
      `must start with "/" and contain no ";" or spaces, got ${describe(value)}`,
    );
  return value;
}

export function checkCookieSecure(
  value: unknown,
  name: string,
): boolean | 'auto' {
  if (value !== true && value !== false && value !== 'auto')
    fail(name, `must be true, false or 'auto', got ${describe(value)}`);
  return value;
}

/** Browsers drop SameSite=None cookies without Secure. */
export function checkCookieSameSiteNone(
  cookie: { sameSite: string; secure: boolean | 'auto' },
  name: string,
): void {
  if (cookie.sameSite === 'none' && cookie.secure === false)
    fail(
      `${name}.sameSite`,
      `'none' needs cookie.secure true or 'auto' (browsers drop SameSite=None cookies without Secure)`,
    );
}

/** What `metrics` resolves to (README "Metrics and health"): off, or where and how to register. */
export type MetricsSetting =
  | false
  | {
      /** A prom-client `Registry`; undefined: prom-client's global one. */
      readonly registry: MetricsRegistryLike | undefined;
      readonly prefix: string;
    };

/** The part of a prom-client `Registry` the module uses. */
export interface MetricsRegistryLike {
  registerMetric(metric: unknown): void;
  getSingleMetric(name: string): unknown;
}

/** `true`, `false`, or `{ registry?, prefix? }` (a prom-client Registry; a Prometheus metric-name prefix). */
export function checkMetrics(value: unknown, name: string): MetricsSetting {
  if (value === false) return false;
  if (value === true) return { registry: undefined, prefix: 'realtime_' };
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    fail(
      name,
      `must be true, false or { registry?, prefix? }, got ${describe(value)}`,
    );
  const {
    registry,
    prefix = 'realtime_',
    ...rest
  } = value as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0)
    fail(
      name,
      `has unknown field ${JSON.stringify(unknown[0])} (known: registry, prefix)`,
    );
  if (
    registry !== undefined &&
    typeof (registry as MetricsRegistryLike | null)?.registerMetric !==
      'function'
  )
    fail(
      `${name}.registry`,
      `must be a prom-client Registry (new Registry()), got ${describe(registry)}`,
    );
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix))
    fail(
      `${name}.prefix`,
      `must be a Prometheus metric-name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), got ${describe(prefix)}`,
    );
  return { registry: registry as MetricsRegistryLike | undefined, prefix };
}
