import { Inject, Injectable, Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { WsAdapter } from '@nestjs/platform-ws';
import { Test } from '@nestjs/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RealtimeDigestGuard,
  RealtimeModule,
  RealtimeService,
  RealtimeWsAdapter,
  type RealtimeModuleOptions,
} from '../src';
import type { RealtimeOptionsFactory } from '../src/realtime.module';
import { REALTIME_OPTIONS } from '../src/realtime.constants';
import { resolveOptions, type ResolvedRealtimeOptions } from '../src/options';
import { connectClient } from '../src/testing';
import { handshakeStatus } from './support/ws-client';

const DEV = { NODE_ENV: 'development' } as NodeJS.ProcessEnv;
const PROD = { NODE_ENV: 'production' } as NodeJS.ProcessEnv;
const SECRET = 's'.repeat(32);
const DAY = 24 * 60 * 60 * 1000;

/** The Error a call throws (fails the test when it does not throw, or throws a non-Error). */
function errorOf(fn: () => unknown): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected the call to throw').toBeInstanceOf(Error);
  return thrown as Error;
}

/** resolveOptions with a raw object whose values TypeScript would refuse. */
function resolveRaw(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv = DEV,
): ResolvedRealtimeOptions {
  return resolveOptions(raw as RealtimeModuleOptions, env);
}

describe('resolveOptions: defaults', () => {
  it('gives every documented default', () => {
    const o = resolveOptions(undefined, DEV);
    expect(o.path).toBe('/');
    expect(o.registry).toBe('memory');
    expect(o.redis).toBe('redis://127.0.0.1:6379');
    expect(o.keyPrefix).toBe('realtime:');
    expect(o.publishTimeout).toBe(5000);
    expect(o.cookie).toEqual({
      name: 'realtime_key',
      secure: 'auto',
      sameSite: 'lax',
      path: '/',
      maxAge: 365 * DAY,
    });
    expect(o.onInvalidConnection).toBe('inert');
    expect(o.allowedOrigins).toBeInstanceOf(Set);
    expect((o.allowedOrigins as ReadonlySet<string>).size).toBe(0);
    expect(o.requireOrigin).toBe(false);
    expect(o.trustProxy).toBe(false);
    expect(o.injectConnectionId).toBe(true);
    expect(o.reconnectGrace).toBe(30_000);
    expect(o.pendingTtl).toBe(300_000);
    expect(o.maxPayload).toBe(65_536);
    expect(o.clientPath).toBe('/realtime/client.js');
    expect(o.rateLimit).toEqual({
      messages: 100,
      interval: 10_000,
      closeAfter: 3,
    });
    expect(o.history).toEqual({ size: 100, ttl: 120_000, maxReplay: 1000 });
    expect(o.presence).toEqual([]);
    expect(o.presenceGrace).toBe(15_000);
    // false turns it off; a partial object merges with the defaults.
    expect(resolveOptions({ history: false }, DEV).history).toBe(false);
    expect(resolveOptions({ history: { size: 10 } }, DEV).history).toEqual({
      size: 10,
      ttl: 120_000,
      maxReplay: 1000,
    });
    expect(o.maxBufferedBytes).toBe(1024 * 1024);
    expect(o.heartbeatInterval).toBe(25_000);
    expect(o.shutdownTimeout).toBe(10_000);
    expect(o.maxConnectionsPerClient).toBe(16);
    expect(o.maxConnectionsPerAddress).toBe(64);
    expect(o.maxConnections).toBe(10_000);
    expect(o.maxChannelLength).toBe(256);
    expect(o.maxChannelsPerView).toBe(1000);
    expect(o.callRouteTimeout).toBe(30_000);
    expect(o.maxInFlight).toBe(32);
    expect(o.replaceBundledHandlers).toEqual([]);
    expect(o.digestGuard).toBeUndefined();
    expect(o.secretGenerated).toBe(true);
    expect(o.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('an empty object gives the same defaults as no options', () => {
    const a = resolveOptions({}, DEV);
    const b = resolveOptions(undefined, DEV);
    expect({ ...a, secret: '' }).toEqual({ ...b, secret: '' });
  });

  it('a missing secret in development gives a fresh random 43-char secret each time', () => {
    const a = resolveOptions({}, DEV);
    const b = resolveOptions({}, {} as NodeJS.ProcessEnv);
    expect(a.secretGenerated).toBe(true);
    expect(b.secretGenerated).toBe(true);
    expect(a.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.secret).not.toBe(b.secret);
    // An empty string counts as missing.
    const c = resolveOptions({ secret: '' }, DEV);
    expect(c.secretGenerated).toBe(true);
    expect(c.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a given secret is kept and not marked generated', () => {
    const o = resolveOptions({ secret: SECRET }, DEV);
    expect(o.secret).toBe(SECRET);
    expect(o.secretGenerated).toBe(false);
  });

  it('keeps every valid non-default value, including the boundaries', () => {
    const predicate = () => true;
    const o = resolveOptions(
      {
        path: '/rt',
        secret: SECRET,
        registry: 'memory',
        redis: { port: 7001 },
        keyPrefix: 'app1:',
        publishTimeout: 1,
        cookie: {
          name: 'rk',
          secure: true,
          sameSite: 'none',
          path: '/app',
          maxAge: 0,
        },
        onInvalidConnection: 'reject',
        allowedOrigins: predicate,
        requireOrigin: true,
        trustProxy: true,
        injectConnectionId: false,
        clientPath: '/assets/rt.js',
        reconnectGrace: 0,
        pendingTtl: 1,
        maxPayload: 64,
        rateLimit: { messages: 1, interval: 1, closeAfter: 1 },
        history: { size: 0, ttl: 1, maxReplay: 0 },
        presence: ['room:*', 'lobby'],
        presenceGrace: 0,
        maxBufferedBytes: 1024,
        heartbeatInterval: 0,
        shutdownTimeout: 0,
        maxConnectionsPerClient: 1,
        maxConnectionsPerAddress: 1,
        maxConnections: 1,
        maxChannelLength: 1,
        maxChannelsPerView: 1,
        callRouteTimeout: 1,
        maxInFlight: 1,
        replaceBundledHandlers: ['ping', 'call-route'],
        metrics: { prefix: 'app_' },
        digestGuard: RealtimeDigestGuard,
      },
      PROD,
    );
    expect(o).toEqual({
      path: '/rt',
      secret: SECRET,
      secretGenerated: false,
      registryFromEnv: false,
      // The test passes a redis option beside the memory registry: boot warns it is unused.
      redisIgnored: true,
      registry: 'memory',
      redis: { port: 7001 },
      keyPrefix: 'app1:',
      publishTimeout: 1,
      cookie: {
        name: 'rk',
        secure: true,
        sameSite: 'none',
        path: '/app',
        maxAge: 0,
      },
      onInvalidConnection: 'reject',
      allowedOrigins: predicate,
      requireOrigin: true,
      trustProxy: true,
      injectConnectionId: false,
      clientPath: '/assets/rt.js',
      reconnectGrace: 0,
      pendingTtl: 1,
      maxPayload: 64,
      rateLimit: { messages: 1, interval: 1, closeAfter: 1 },
      history: { size: 0, ttl: 1, maxReplay: 0 },
      presence: ['room:*', 'lobby'],
      presenceGrace: 0,
      maxBufferedBytes: 1024,
      heartbeatInterval: 0,
      shutdownTimeout: 0,
      maxConnectionsPerClient: 1,
      maxConnectionsPerAddress: 1,
      maxConnections: 1,
      maxChannelLength: 1,
      maxChannelsPerView: 1,
      callRouteTimeout: 1,
      maxInFlight: 1,
      replaceBundledHandlers: ['ping', 'call-route'],
      metrics: { registry: undefined, prefix: 'app_' },
      digestGuard: RealtimeDigestGuard,
    });
  });

  it('fills the cookie options that were left out', () => {
    expect(resolveOptions({ cookie: { name: 'rk' } }, DEV).cookie).toEqual({
      name: 'rk',
      secure: 'auto',
      sameSite: 'lax',
      path: '/',
      maxAge: 365 * DAY,
    });
  });

  it('normalizes allowed origins (case, trailing slash, explicit ports kept)', () => {
    const o = resolveOptions(
      {
        allowedOrigins: [
          'https://App.Example:8443',
          'http://b.example/',
          'http://127.0.0.1:3000',
          'https://c.example:443',
        ],
      },
      DEV,
    );
    expect([...(o.allowedOrigins as ReadonlySet<string>)].sort()).toEqual(
      [
        'https://c.example',
        'http://127.0.0.1:3000',
        'http://b.example',
        'https://app.example:8443',
      ].sort(),
    );
  });

  it('sameSite none is accepted with secure true or auto', () => {
    expect(
      resolveOptions({ cookie: { sameSite: 'none', secure: true } }, DEV).cookie
        .sameSite,
    ).toBe('none');
    expect(
      resolveOptions({ cookie: { sameSite: 'none' } }, DEV).cookie.secure,
    ).toBe('auto');
  });

  it('does not modify the options object it is given', () => {
    const raw = Object.freeze({
      cookie: Object.freeze({ name: 'rk' }),
      allowedOrigins: Object.freeze(['https://a.example']),
    });
    const o = resolveOptions(raw as RealtimeModuleOptions, DEV);
    expect(o.cookie.name).toBe('rk');
    expect(raw).toEqual({
      cookie: { name: 'rk' },
      allowedOrigins: ['https://a.example'],
    });
  });
});

describe('resolveOptions: invalid values name the option', () => {
  const cases: Array<[option: string, raw: Record<string, unknown>]> = [
    ['path', { path: 'rt' }],
    ['path', { path: '' }],
    ['path', { path: '/rt?x=1' }],
    ['path', { path: '/rt#x' }],
    ['path', { path: '/r t' }],
    ['path', { path: 5 }],
    ['secret', { secret: 'x'.repeat(31) }],
    ['secret', { secret: 'short' }],
    ['secret', { secret: 123 }],
    ['secret', { secret: null }],
    ['presence', { presence: 'room:*' }],
    ['presence', { presence: [''] }],
    ['presence', { presence: [5] }],
    ['presenceGrace', { presenceGrace: -1 }],
    ['presenceGrace', { presenceGrace: '15s' }],
    ['registry', { registry: 'postgres' }],
    ['registry', { registry: 1 }],
    ['cookie', { cookie: 'realtime_key' }],
    ['cookie', { cookie: null }],
    ['cookie', { cookie: [] }],
    ['cookie.name', { cookie: { name: '' } }],
    ['cookie.name', { cookie: { name: 'a b' } }],
    ['cookie.name', { cookie: { name: 'a;b' } }],
    ['cookie.name', { cookie: { name: 'a=b' } }],
    ['cookie.name', { cookie: { name: 5 } }],
    ['cookie.secure', { cookie: { secure: 'yes' } }],
    ['cookie.secure', { cookie: { secure: 1 } }],
    ['cookie.sameSite', { cookie: { sameSite: 'sometimes' } }],
    ['cookie.sameSite', { cookie: { sameSite: true } }],
    ['cookie.path', { cookie: { path: 'app' } }],
    ['cookie.path', { cookie: { path: '/a;b' } }],
    ['cookie.path', { cookie: { path: '/a b' } }],
    ['cookie.path', { cookie: { path: 5 } }],
    ['cookie.maxAge', { cookie: { maxAge: -1 } }],
    ['cookie.name', { cookie: { name: null } }],
    ['path', { path: null }],
    ['cookie.maxAge', { cookie: { maxAge: '1000' } }],
    ['cookie.maxAge', { cookie: { maxAge: Number.NaN } }],
    ['cookie.maxAge', { cookie: { maxAge: Number.POSITIVE_INFINITY } }],
    ['onInvalidConnection', { onInvalidConnection: 'drop' }],
    ['redis', { redis: 'http://127.0.0.1:6379' }],
    ['redis', { redis: 6379 }],
    ['redis.nodes', { redis: { nodes: [] } }],
    ['keyPrefix', { keyPrefix: '' }],
    ['keyPrefix', { keyPrefix: 'has space' }],
    ['keyPrefix', { keyPrefix: 'a{b}' }],
    ['publishTimeout', { publishTimeout: 0 }],
    ['clientPath', { clientPath: 'client.js' }],
    ['clientPath', { clientPath: true }],
    ['clientPath', { clientPath: '/a b.js' }],
    ['rateLimit', { rateLimit: 100 }],
    ['rateLimit.messages', { rateLimit: { messages: 0 } }],
    ['rateLimit.interval', { rateLimit: { interval: -1 } }],
    ['rateLimit.closeAfter', { rateLimit: { closeAfter: 1.5 } }],
    ['rateLimit.burst', { rateLimit: { burst: 1 } }],
    ['history', { history: true }],
    ['history', { history: 100 }],
    ['history.size', { history: { size: -1 } }],
    ['history.ttl', { history: { ttl: 0 } }],
    ['history.maxReplay', { history: { maxReplay: 1.5 } }],
    ['history.limit', { history: { limit: 10 } }],
    ['maxBufferedBytes', { maxBufferedBytes: 10 }],
    ['heartbeatInterval', { heartbeatInterval: -5 }],
    ['shutdownTimeout', { shutdownTimeout: '10s' }],
    ['maxConnectionsPerClient', { maxConnectionsPerClient: 0 }],
    ['maxConnections', { maxConnections: 2.5 }],
    ['maxConnectionsPerAddress', { maxConnectionsPerAddress: 0 }],
    ['maxConnectionsPerAddress', { maxConnectionsPerAddress: '64' }],
    ['maxChannelLength', { maxChannelLength: 0 }],
    ['maxChannelLength', { maxChannelLength: 10.5 }],
    ['maxChannelsPerView', { maxChannelsPerView: 0 }],
    ['maxChannelsPerView', { maxChannelsPerView: Number.POSITIVE_INFINITY }],
    ['callRouteTimeout', { callRouteTimeout: 0 }],
    ['callRouteTimeout', { callRouteTimeout: '30s' }],
    ['maxInFlight', { maxInFlight: 0 }],
    ['maxInFlight', { maxInFlight: null }],
    ['publishTimeout', { publishTimeout: '5s' }],
    ['replaceBundledHandlers', { replaceBundledHandlers: 'ping' }],
    ['replaceBundledHandlers', { replaceBundledHandlers: ['pong'] }],
    ['digestGuard', { digestGuard: class NotAGuard {} }],
    ['digestGuard', { digestGuard: 'RealtimeDigestGuard' }],
    ['onInvalidConnection', { onInvalidConnection: true }],
    ['allowedOrigins', { allowedOrigins: 'https://a.example' }],
    ['allowedOrigins', { allowedOrigins: 5 }],
    ['allowedOrigins', { allowedOrigins: { 'https://a.example': true } }],
    ['allowedOrigins', { allowedOrigins: ['https://a.example/path'] }],
    ['allowedOrigins', { allowedOrigins: ['nope'] }],
    ['allowedOrigins', { allowedOrigins: ['null'] }],
    ['allowedOrigins', { allowedOrigins: ['https://a.example?x=1'] }],
    ['allowedOrigins', { allowedOrigins: ['https://user@a.example'] }],
    ['allowedOrigins', { allowedOrigins: ['file:///etc/passwd'] }],
    ['allowedOrigins', { allowedOrigins: ['*'] }],
    ['allowedOrigins', { allowedOrigins: ['https://ok.example', 42] }],
    ['requireOrigin', { requireOrigin: 'yes' }],
    ['requireOrigin', { requireOrigin: 1 }],
    ['requireOrigin', { requireOrigin: null }],
    ['trustProxy', { trustProxy: 'true' }],
    ['trustProxy', { trustProxy: 1 }],
    ['injectConnectionId', { injectConnectionId: 'false' }],
    ['injectConnectionId', { injectConnectionId: 0 }],
    ['reconnectGrace', { reconnectGrace: -1 }],
    ['reconnectGrace', { reconnectGrace: '30000' }],
    ['reconnectGrace', { reconnectGrace: Number.NaN }],
    ['reconnectGrace', { reconnectGrace: Number.POSITIVE_INFINITY }],
    ['reconnectGrace', { reconnectGrace: null }],
    ['pendingTtl', { pendingTtl: 0 }],
    ['pendingTtl', { pendingTtl: -5 }],
    ['pendingTtl', { pendingTtl: 'x' }],
    ['maxPayload', { maxPayload: 63 }],
    ['maxPayload', { maxPayload: 64.5 }],
    ['maxPayload', { maxPayload: 'big' }],
    ['maxPayload', { maxPayload: -1 }],
  ];

  it.each(cases)('%s: %j', (option, raw) => {
    const error = errorOf(() => resolveRaw(raw));
    expect(error.message).toContain(`option "${option}"`);
  });

  it('rejects unknown option keys, naming the key', () => {
    const error = errorOf(() => resolveRaw({ reconectGrace: 1000 }));
    expect(error.message).toContain('"reconectGrace"');
    expect(error.message).toMatch(/not a known option/);
  });

  it('rejects unknown cookie keys, naming the key', () => {
    const error = errorOf(() =>
      resolveRaw({ cookie: { domain: 'a.example' } }),
    );
    expect(error.message).toContain('"cookie.domain"');
  });

  it('rejects sameSite none with secure false', () => {
    const error = errorOf(() =>
      resolveOptions({ cookie: { sameSite: 'none', secure: false } }, DEV),
    );
    expect(error.message).toMatch(/option "cookie\.(sameSite|secure)"/);
  });

  it('rejects options that are not an object', () => {
    expect(() =>
      resolveOptions('/rt' as unknown as RealtimeModuleOptions, DEV),
    ).toThrow(/RealtimeModule/);
    expect(() =>
      resolveOptions([] as unknown as RealtimeModuleOptions, DEV),
    ).toThrow(/RealtimeModule/);
  });

  it('the maxPayload message speaks of bytes, not milliseconds', () => {
    const error = errorOf(() => resolveRaw({ maxPayload: 'big' }));
    expect(error.message).toContain('option "maxPayload"');
    expect(error.message).not.toMatch(/millisecond/);
  });
});

describe('resolveOptions: secret and registry', () => {
  it('a missing secret with NODE_ENV=production fails, naming "secret" (env from the 2nd argument)', () => {
    expect(
      errorOf(() => resolveOptions({ registry: 'memory' }, PROD)).message,
    ).toContain('option "secret"');
    expect(
      errorOf(() => resolveOptions({ registry: 'memory', secret: '' }, PROD))
        .message,
    ).toContain('option "secret"');
    expect(errorOf(() => resolveOptions({}, PROD)).message).toContain(
      'option "secret"',
    );
  });

  it('without a registry option, the missing-secret error says NODE_ENV=production chose Redis and how to choose memory', () => {
    const message = errorOf(() => resolveOptions({}, PROD)).message;
    expect(message).toContain('NODE_ENV=production chose');
    expect(message).toContain("registry: 'memory'");
    // A registry the app chose itself is named as its choice.
    const chosen = errorOf(() =>
      resolveOptions({ registry: 'redis' }, DEV),
    ).message;
    expect(chosen).toContain('with the Redis registry');
    expect(chosen).not.toContain('NODE_ENV');
  });

  it('says whether NODE_ENV chose the registry, and whether a redis option goes unused', () => {
    expect(resolveOptions({ secret: SECRET }, PROD)).toMatchObject({
      registryFromEnv: true,
      redisIgnored: false,
    });
    expect(
      resolveOptions({ secret: SECRET, registry: 'redis' }, PROD),
    ).toMatchObject({ registryFromEnv: false });
    expect(resolveOptions({ redis: 'redis://127.0.0.1:1' }, DEV)).toMatchObject(
      { registryFromEnv: false, redisIgnored: true },
    );
    expect(resolveOptions({}, DEV)).toMatchObject({ redisIgnored: false });
  });

  it('a secret with NODE_ENV=production and the memory registry boots', () => {
    const o = resolveOptions({ registry: 'memory', secret: SECRET }, PROD);
    expect(o.secretGenerated).toBe(false);
    expect(o.registry).toBe('memory');
  });

  it('NODE_ENV=production defaults to the redis registry with its defaults', () => {
    const o = resolveOptions({ secret: SECRET }, PROD);
    expect(o.registry).toBe('redis');
    expect(o.redis).toBe('redis://127.0.0.1:6379');
    expect(o.keyPrefix).toBe('realtime:');
    expect(o.publishTimeout).toBe(5000);
  });

  it('registry redis takes a URL, RedisOptions or cluster nodes', () => {
    expect(
      resolveOptions(
        { registry: 'redis', secret: SECRET, redis: 'rediss://h:6380' },
        DEV,
      ).redis,
    ).toBe('rediss://h:6380');
    const nodes = { nodes: [{ host: '127.0.0.1', port: 7000 }] };
    expect(
      resolveOptions({ registry: 'redis', secret: SECRET, redis: nodes }, DEV)
        .redis,
    ).toBe(nodes);
    expect(
      resolveOptions(
        { registry: 'redis', secret: SECRET, redis: { port: 7001 } },
        DEV,
      ).redis,
    ).toEqual({ port: 7001 });
  });

  it('a missing secret with registry redis fails on "secret" first, in development too', () => {
    for (const env of [DEV, PROD]) {
      const error = errorOf(() => resolveOptions({ registry: 'redis' }, env));
      expect(error.message).toContain('option "secret"');
      expect(error.message).not.toContain('option "registry"');
    }
  });

  it('a short secret with registry redis fails on "secret" too', () => {
    const error = errorOf(() =>
      resolveOptions({ registry: 'redis', secret: 'short' }, DEV),
    );
    expect(error.message).toContain('option "secret"');
  });
});

describe('validation at boot', () => {
  it('forRoot with an invalid option fails compile, naming the option', async () => {
    await expect(
      Test.createTestingModule({
        imports: [RealtimeModule.forRoot({ reconnectGrace: -1 })],
      }).compile(),
    ).rejects.toThrow(/option "reconnectGrace"/);
  });

  it('forRoot with registry redis and no secret fails on "secret" (no Redis needed)', async () => {
    await expect(
      Test.createTestingModule({
        imports: [RealtimeModule.forRoot({ registry: 'redis' })],
      }).compile(),
    ).rejects.toThrow(/option "secret"/);
  });

  it('forRootAsync with an invalid value from an async factory fails, naming the option', async () => {
    const module = RealtimeModule.forRootAsync({
      useFactory: async () =>
        ({ pendingTtl: 'x' }) as unknown as RealtimeModuleOptions,
    });
    await expect(
      Test.createTestingModule({ imports: [module] }).compile(),
    ).rejects.toThrow(/option "pendingTtl"/);
  });

  it('forRootAsync rejects a path returned by the factory that differs from forRootAsync({ path })', async () => {
    const module = RealtimeModule.forRootAsync({
      path: '/rt',
      useFactory: () => ({ path: '/other' }),
    });
    await expect(
      Test.createTestingModule({ imports: [module] }).compile(),
    ).rejects.toThrow(/option "path"/);
  });

  it('forRootAsync accepts a factory that returns the same path', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        RealtimeModule.forRootAsync({
          path: '/rt',
          useFactory: () => ({ path: '/rt', reconnectGrace: 5 }),
        }),
      ],
    }).compile();
    const options = moduleRef.get<ResolvedRealtimeOptions>(REALTIME_OPTIONS);
    expect(options.path).toBe('/rt');
    expect(options.reconnectGrace).toBe(5);
    await moduleRef.close();
  });

  it('forRootAsync without useFactory, useClass or useExisting throws', () => {
    expect(() => RealtimeModule.forRootAsync({})).toThrow(
      /useFactory|useClass|useExisting/,
    );
  });

  it('an app with the plain WsAdapter instead of RealtimeWsAdapter fails to start, naming RealtimeWsAdapter', async () => {
    @Module({ imports: [RealtimeModule.forRoot({})] })
    class PlainAdapterModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [PlainAdapterModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new WsAdapter(app));
    try {
      await expect(app.listen(0, '127.0.0.1')).rejects.toThrow(
        /RealtimeWsAdapter/,
      );
    } finally {
      await app.close().catch(() => undefined);
    }
  });

  it('an app with the Socket.IO adapter fails to start, naming RealtimeWsAdapter', async () => {
    @Module({ imports: [RealtimeModule.forRoot({})] })
    class IoAdapterModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [IoAdapterModule],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new IoAdapter(app));
    try {
      await expect(app.listen(0, '127.0.0.1')).rejects.toThrow(
        /RealtimeWsAdapter/,
      );
    } finally {
      await app.close().catch(() => undefined);
    }
  });
});

const SETTINGS = Symbol('settings');

@Module({
  providers: [{ provide: SETTINGS, useValue: { grace: 1234 } }],
  exports: [SETTINGS],
})
class SettingsModule {}

@Injectable()
class RealtimeConfig implements RealtimeOptionsFactory {
  constructor(@Inject(SETTINGS) private readonly settings: { grace: number }) {}

  createRealtimeOptions(): RealtimeModuleOptions {
    return { reconnectGrace: this.settings.grace, cookie: { name: 'rk' } };
  }
}

async function listen(
  module: ReturnType<typeof RealtimeModule.forRootAsync>,
): Promise<{ app: INestApplication; url: string }> {
  @Module({ imports: [module] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url };
}

describe('forRootAsync with useClass', () => {
  let app: INestApplication;
  beforeAll(async () => {
    ({ app } = await listen(
      RealtimeModule.forRootAsync({
        imports: [SettingsModule],
        useClass: RealtimeConfig,
      }),
    ));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('boots; RealtimeService works and the class-provided options are in effect', async () => {
    const realtime = app.get(RealtimeService);
    // The key is read from the class-named cookie `rk`: a view subscribed through it receives.
    const client = await connectClient(app);
    const socket = realtime.socket({
      url: '/',
      headers: {
        cookie: `rk=${client.socketKey}`,
        'x-socket-connection-id': client.connectionId,
      },
    } as never);
    expect(socket.connectionId).toBe(client.connectionId);
    await socket.subscribe('configured');
    await realtime.push({ ok: true }, 'configured');
    expect(await client.next()).toEqual({
      channel: 'configured',
      payload: { ok: true },
      offset: 1,
    });
    await client.close();
    const options = app.get<ResolvedRealtimeOptions>(REALTIME_OPTIONS);
    expect(options.reconnectGrace).toBe(1234);
    expect(options.cookie.name).toBe('rk');
    expect(options.path).toBe('/');
  });
});

describe('forRootAsync with path /rt', () => {
  let app: INestApplication;
  let url: string;
  beforeAll(async () => {
    ({ app, url } = await listen(
      RealtimeModule.forRootAsync({ path: '/rt', useFactory: () => ({}) }),
    ));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('upgrades on /rt (an inert connection is accepted by default)', async () => {
    expect(await handshakeStatus(url, { path: '/rt' })).toBe(101);
  });

  it('does not upgrade on the default path /', async () => {
    // The server is up (HTTP answers), and destroys upgrades to any other path.
    expect((await fetch(`${url}/nothing-here`)).status).toBe(404);
    await expect(handshakeStatus(url)).rejects.toThrow(
      /socket hang up|ECONNRESET/,
    );
  });
});
