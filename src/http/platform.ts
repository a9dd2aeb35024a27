import type { HttpAdapterHost } from '@nestjs/core';
import { createRequire } from 'node:module';
import { TRUST_NONE, type TrustProxy } from '../identity/client-address';
import { UNSUPPORTED_PLATFORM } from '../realtime.messages';

/** The HTTP platforms the module serves (README "Compatibility"). */
export type HttpPlatform = 'express' | 'fastify';

/** The platform of the app (`none` before an HTTP adapter exists, e.g. a standalone app). */
export function httpPlatform(
  host: HttpAdapterHost | undefined,
): HttpPlatform | 'none' {
  const adapter = host?.httpAdapter;
  if (!adapter) return 'none';
  const type = adapter.getType?.();
  if (type === 'express' || type === 'fastify') return type;
  throw new Error(UNSUPPORTED_PLATFORM(String(type)));
}

/** A Fastify instance, as far as the module uses it. */
export interface FastifyLike {
  addHook(name: string, hook: (...args: never[]) => unknown): unknown;
  inject(options: object): Promise<{
    statusCode: number;
    headers: Record<string, string | string[] | number | undefined>;
    payload: string;
  }>;
}

/** Fastify keeps its options under a symbol (`fastify.options`) it does not export. */
function fastifyTrustOption(instance: object): unknown {
  const symbol = Object.getOwnPropertySymbols(instance).find(
    (s) => s.description === 'fastify.options',
  );
  const options = symbol
    ? (instance as Record<symbol, { trustProxy?: unknown } | undefined>)[symbol]
    : undefined;
  return options?.trustProxy;
}

/** Fastify's `trustProxy` option as the test Fastify itself compiles from it (boolean, hops, addresses, function). */
function compileFastifyTrust(option: unknown): TrustProxy {
  if (option === undefined || option === false || option === null)
    return TRUST_NONE;
  if (option === true) return () => true;
  if (typeof option === 'number') return (_address, hop) => hop < option;
  if (typeof option === 'function') return option as TrustProxy;
  // Addresses and subnets: proxy-addr, which Fastify itself uses for them.
  const fastifyRequire = createRequire(require.resolve('fastify'));
  const proxyAddr = fastifyRequire('proxy-addr') as {
    compile(value: string | string[]): TrustProxy;
  };
  return proxyAddr.compile(
    typeof option === 'string'
      ? option.split(',').map((entry) => entry.trim())
      : (option as string[]),
  );
}

const fastifyTrusts = new WeakMap<object, TrustProxy>();

/**
 * The app's own trust-proxy setting: Express's `app.set('trust proxy', …)` (read at each
 * use, so a setting made in main.ts after the module booted applies) or Fastify's
 * `trustProxy` option (fixed when the instance was made).
 */
export function platformTrust(host: HttpAdapterHost | undefined): TrustProxy {
  const adapter = host?.httpAdapter;
  const type = adapter?.getType?.();
  if (type === 'express') {
    const app = adapter!.getInstance() as { get?(setting: string): unknown };
    const compiled = app.get?.('trust proxy fn');
    return typeof compiled === 'function'
      ? (compiled as TrustProxy)
      : TRUST_NONE;
  }
  if (type === 'fastify') {
    const instance = adapter!.getInstance() as object;
    let trust = fastifyTrusts.get(instance);
    if (!trust) {
      trust = compileFastifyTrust(fastifyTrustOption(instance));
      fastifyTrusts.set(instance, trust);
    }
    return trust;
  }
  return TRUST_NONE;
}
