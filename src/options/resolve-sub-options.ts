import type { Type } from '@nestjs/common';
import type { RealtimeDigestGuard } from '../handlers/digest.guard';
import { optionError } from '../realtime.messages';
import {
  DEFAULTS,
  type OriginPredicate,
  type RateLimitOptions,
  type RealtimeCookieOptions,
} from '../realtime.options';
import type { RealtimeRedisOption } from '../registry/redis/redis-clients';
import { count, describe, duration, oneOf } from './option-validators';

// Resolvers of the options that are more than one value; each throws naming the option.

const BUNDLED_ACTIONS = ['ping', 'call-route'];
const COOKIE_KNOWN = new Set(['name', 'secure', 'sameSite', 'path', 'maxAge']);
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export function resolveCookie(value: unknown): Required<RealtimeCookieOptions> {
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

export function resolveOrigins(
  value: unknown,
): OriginPredicate | ReadonlySet<string> {
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

export function resolveReplaced(value: unknown): readonly string[] {
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

export function resolveGuard(
  value: unknown,
): Type<RealtimeDigestGuard> | undefined {
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

export function resolveRedis(value: unknown): RealtimeRedisOption {
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

export function resolveKeyPrefix(value: unknown): string {
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

export function resolveRateLimit(value: unknown): Required<RateLimitOptions> {
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

export function resolveClientPath(value: unknown): string | false {
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
