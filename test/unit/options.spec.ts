import { describe, expect, it } from 'vitest';
import {
  bool,
  count,
  describe as describeValue,
  duration,
  numberOption,
  oneOf,
} from '../../src/options/option-validators';
import {
  MISSING_SECRET,
  REDIS_CHOSEN_BY_NODE_ENV,
} from '../../src/realtime.messages';
import { nearest } from '../../src/options/option-kinds';
import { MemoryRegistry } from '../../src/registry/memory.registry';
import {
  DEFAULTS,
  resolveOptions,
  type RealtimeModuleOptions,
  type ResolvedRealtimeOptions,
} from '../../src/options';

// SPEC §7: options are validated at boot with a message that names the option. Every
// message is pinned whole: it is what a user reads when the app refuses to start.

const DEV = { NODE_ENV: 'development' } as NodeJS.ProcessEnv;
const PROD = { NODE_ENV: 'production' } as NodeJS.ProcessEnv;
const SECRET = 'x'.repeat(32);
const DAY = 24 * 60 * 60 * 1000;

const problem = (option: string, text: string) =>
  `RealtimeModule: option "${option}" ${text}`;

/** The message of the Error a call throws (fails when it does not throw an Error). */
function messageOf(fn: () => unknown): string {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  expect(thrown, 'expected the call to throw').toBeInstanceOf(Error);
  return (thrown as Error).message;
}

function resolveRaw(
  raw: unknown,
  env: NodeJS.ProcessEnv = DEV,
): ResolvedRealtimeOptions {
  return resolveOptions(raw as RealtimeModuleOptions, env);
}

// Each option's check, reached the way the module reaches it: through resolveOptions.
const resolveCookie = (value: unknown) => resolveRaw({ cookie: value }).cookie;
const resolveOrigins = (value: unknown) =>
  resolveRaw({ allowedOrigins: value }).allowedOrigins;
const resolveReplaced = (value: unknown) =>
  resolveRaw({ replaceBundledHandlers: value }).replaceBundledHandlers;
const resolveGuard = (value: unknown) =>
  resolveRaw({ digestGuard: value }).digestGuard;
const resolveRedis = (value: unknown) => resolveRaw({ redis: value }).redis;
const resolveKeyPrefix = (value: unknown) =>
  resolveRaw({ keyPrefix: value }).keyPrefix;
const resolveRateLimit = (value: unknown) =>
  resolveRaw({ rateLimit: value }).rateLimit;
const resolveClientPath = (value: unknown) =>
  resolveRaw({ clientPath: value }).clientPath;

describe('option validators', () => {
  it('describe: strings quoted and cut after 60 characters, other values named', () => {
    expect(describeValue('abc')).toBe('"abc"');
    expect(describeValue('')).toBe('""');
    expect(describeValue('a'.repeat(60))).toBe(`"${'a'.repeat(60)}"`);
    expect(describeValue('b'.repeat(59) + 'cd')).toBe(`"${'b'.repeat(59)}c…"`);
    expect(describeValue(() => 1)).toBe('a function');
    expect(describeValue(class {})).toBe('a function');
    expect(describeValue([1, 2])).toBe('an array');
    expect(describeValue([])).toBe('an array');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue(12.5)).toBe('12.5');
    expect(describeValue(true)).toBe('true');
    expect(describeValue({ a: 1 })).toBe('[object Object]');
  });

  it('numbers: undefined gives the fallback; the minimum itself is accepted', () => {
    expect(numberOption('n', undefined, 42, 1, 'count')).toBe(42);
    expect(duration('n', undefined, 7, 0)).toBe(7);
    expect(count('n', undefined, 9, 1)).toBe(9);
    expect(duration('n', 0, 7, 0)).toBe(0);
    expect(count('n', 1, 9, 1)).toBe(1);
    expect(numberOption('n', 64, 1, 64, 'bytes')).toBe(64);
  });

  it('numbers: milliseconds may be fractional; counts and bytes must be whole', () => {
    expect(duration('d', 1.5, 7, 1)).toBe(1.5);
    expect(numberOption('d', 2.25, 7, 1, 'ms')).toBe(2.25);
    expect(messageOf(() => count('c', 1.5, 9, 1))).toBe(
      problem('c', 'must be a whole number >= 1, got 1.5'),
    );
    expect(messageOf(() => numberOption('b', 64.5, 1, 64, 'bytes'))).toBe(
      problem('b', 'must be a whole number of bytes >= 64, got 64.5'),
    );
  });

  it('numbers: below the minimum, not finite or not a number are refused, naming the option', () => {
    expect(messageOf(() => duration('d', 0, 7, 1))).toBe(
      problem('d', 'must be a number of milliseconds >= 1, got 0'),
    );
    expect(messageOf(() => duration('d', -0.5, 7, 0))).toBe(
      problem('d', 'must be a number of milliseconds >= 0, got -0.5'),
    );
    expect(messageOf(() => duration('d', Infinity, 7, 0))).toBe(
      problem('d', 'must be a number of milliseconds >= 0, got Infinity'),
    );
    expect(messageOf(() => duration('d', NaN, 7, 0))).toBe(
      problem('d', 'must be a number of milliseconds >= 0, got NaN'),
    );
    expect(messageOf(() => duration('d', '5', 7, 0))).toBe(
      problem('d', 'must be a number of milliseconds >= 0, got "5"'),
    );
    expect(messageOf(() => count('c', 0, 9, 1))).toBe(
      problem('c', 'must be a whole number >= 1, got 0'),
    );
    expect(messageOf(() => count('c', Infinity, 9, 1))).toBe(
      problem('c', 'must be a whole number >= 1, got Infinity'),
    );
    expect(messageOf(() => count('c', null, 9, 1))).toBe(
      problem('c', 'must be a whole number >= 1, got null'),
    );
    expect(messageOf(() => numberOption('b', 63, 1, 64, 'bytes'))).toBe(
      problem('b', 'must be a whole number of bytes >= 64, got 63'),
    );
  });

  it('bool: true or false, else refused', () => {
    expect(bool('f', undefined, true)).toBe(true);
    expect(bool('f', undefined, false)).toBe(false);
    expect(bool('f', false, true)).toBe(false);
    expect(bool('f', true, false)).toBe(true);
    expect(messageOf(() => bool('f', 'true', false))).toBe(
      problem('f', 'must be true or false, got "true"'),
    );
    expect(messageOf(() => bool('f', 0, false))).toBe(
      problem('f', 'must be true or false, got 0'),
    );
  });

  it('oneOf: one of the listed strings, else refused listing them', () => {
    const allowed = ['lax', 'strict'] as const;
    expect(oneOf('s', undefined, allowed, 'lax')).toBe('lax');
    expect(oneOf('s', 'strict', allowed, 'lax')).toBe('strict');
    expect(messageOf(() => oneOf('s', 'Lax', allowed, 'lax'))).toBe(
      problem('s', `must be one of 'lax', 'strict', got "Lax"`),
    );
    expect(messageOf(() => oneOf('s', 1, allowed, 'lax'))).toBe(
      problem('s', `must be one of 'lax', 'strict', got 1`),
    );
  });
});

describe('resolveOptions: defaults (SPEC §3, §5, §6, §7)', () => {
  it('gives every documented default', () => {
    const o = resolveOptions(undefined, DEV);
    const { secret, ...rest } = o;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // toMatchObject: options added later (SPEC §9, §11, §12) bring their own tests.
    expect(rest).toMatchObject({
      path: '/',
      secretGenerated: true,
      registry: 'memory',
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
      allowedOrigins: new Set(),
      requireOrigin: false,
      trustProxy: false,
      injectConnectionId: true,
      clientPath: '/realtime/client.js',
      reconnectGrace: 30_000,
      pendingTtl: 300_000,
      maxPayload: 65_536,
      rateLimit: { messages: 100, interval: 10_000, closeAfter: 3 },
      maxBufferedBytes: 1_048_576,
      heartbeatInterval: 25_000,
      shutdownTimeout: 10_000,
      maxConnectionsPerClient: 16,
      maxConnectionsPerAddress: 64,
      maxConnections: 10_000,
      maxChannelLength: 256,
      maxChannelsPerView: 1000,
      callRouteTimeout: 30_000,
      maxInFlight: 32,
      replaceBundledHandlers: [],
      digestGuard: undefined,
    });
    expect(Object.keys(o)).toContain('digestGuard');
    expect(o.cookie.maxAge).toBe(31_536_000_000);
    expect(DEFAULTS.cookie.maxAge).toBe(31_536_000_000);
  });

  it('null and {} give the defaults too; a missing secret is new each time', () => {
    const a = resolveRaw(null);
    const b = resolveRaw({});
    expect({ ...a, secret: '' }).toEqual({ ...b, secret: '' });
    expect(a.secret).not.toBe(b.secret);
    expect(resolveRaw({}, {} as NodeJS.ProcessEnv).registry).toBe('memory');
  });

  it('returns fresh objects: a user changing one app’s options changes no other', () => {
    const a = resolveOptions({}, DEV);
    const b = resolveOptions({}, DEV);
    expect(a.cookie).not.toBe(b.cookie);
    expect(a.cookie).not.toBe(DEFAULTS.cookie);
    expect(a.rateLimit).not.toBe(DEFAULTS.rateLimit);
  });

  it('an empty secret counts as missing; a given one is kept', () => {
    const empty = resolveOptions({ secret: '' }, DEV);
    expect(empty.secretGenerated).toBe(true);
    expect(empty.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const given = resolveOptions({ secret: SECRET }, DEV);
    expect(given.secret).toBe(SECRET);
    expect(given.secretGenerated).toBe(false);
  });

  it('accepts every known option with a valid non-default value and keeps it', () => {
    const predicate = () => true;
    class Guard {
      canActivate() {
        return true;
      }
    }
    const redis = { port: 7001 };
    const o = resolveOptions(
      {
        path: '/rt',
        secret: SECRET,
        registry: 'memory',
        redis,
        keyPrefix: 'app1:',
        publishTimeout: 1,
        cookie: { name: 'rk', secure: true, sameSite: 'none', path: '/app' },
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
        maxBufferedBytes: 1024,
        heartbeatInterval: 0,
        shutdownTimeout: 0,
        maxConnectionsPerClient: 1,
        maxConnectionsPerAddress: 2,
        maxConnections: 3,
        maxChannelLength: 4,
        maxChannelsPerView: 5,
        callRouteTimeout: 6,
        maxInFlight: 7,
        replaceBundledHandlers: ['ping', 'call-route'],
        digestGuard: Guard as unknown as RealtimeModuleOptions['digestGuard'],
      },
      DEV,
    );
    expect(o).toMatchObject({
      path: '/rt',
      secret: SECRET,
      secretGenerated: false,
      registry: 'memory',
      redis: { port: 7001 },
      keyPrefix: 'app1:',
      publishTimeout: 1,
      cookie: {
        name: 'rk',
        secure: true,
        sameSite: 'none',
        path: '/app',
        maxAge: 365 * DAY,
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
      maxBufferedBytes: 1024,
      heartbeatInterval: 0,
      shutdownTimeout: 0,
      maxConnectionsPerClient: 1,
      maxConnectionsPerAddress: 2,
      maxConnections: 3,
      maxChannelLength: 4,
      maxChannelsPerView: 5,
      callRouteTimeout: 6,
      maxInFlight: 7,
      replaceBundledHandlers: ['ping', 'call-route'],
      digestGuard: Guard,
    });
    expect(o.redis).toBe(redis);
    expect(o.allowedOrigins).toBe(predicate);
  });

  it('explicit values equal to the defaults resolve like no value', () => {
    const o = resolveOptions(
      {
        requireOrigin: false,
        trustProxy: false,
        injectConnectionId: true,
        onInvalidConnection: 'inert',
        registry: 'memory',
        path: '/',
        clientPath: '/realtime/client.js',
      },
      DEV,
    );
    expect(o.requireOrigin).toBe(false);
    expect(o.trustProxy).toBe(false);
    expect(o.injectConnectionId).toBe(true);
    expect(o.onInvalidConnection).toBe('inert');
    expect(o.path).toBe('/');
  });
});

describe('resolveOptions: secret and registry', () => {
  it('says when NODE_ENV chose the registry, and when a redis option goes unused', () => {
    const flags = (raw: object, env: NodeJS.ProcessEnv) => {
      const { registryFromEnv, redisIgnored } = resolveOptions(raw, env);
      return { registryFromEnv, redisIgnored };
    };
    const neither = { registryFromEnv: false, redisIgnored: false };
    expect(flags({ secret: SECRET }, PROD)).toEqual({
      registryFromEnv: true,
      redisIgnored: false,
    });
    expect(flags({ secret: SECRET, registry: 'redis' }, PROD)).toEqual(neither);
    expect(flags({ secret: SECRET, registry: 'memory' }, PROD)).toEqual(
      neither,
    );
    expect(flags({}, DEV)).toEqual(neither);
    expect(flags({ redis: 'redis://127.0.0.1:1' }, DEV)).toEqual({
      registryFromEnv: false,
      redisIgnored: true,
    });
    // Given with the Redis registry (chosen or by NODE_ENV), it is used.
    expect(
      flags(
        { redis: 'redis://127.0.0.1:1', registry: 'redis', secret: SECRET },
        DEV,
      ),
    ).toEqual(neither);
    expect(
      flags({ redis: 'redis://127.0.0.1:1', secret: SECRET }, PROD),
    ).toEqual({ registryFromEnv: true, redisIgnored: false });
  });

  it('NODE_ENV=production defaults to redis, which needs a secret', () => {
    expect(messageOf(() => resolveOptions({}, PROD))).toBe(
      MISSING_SECRET(REDIS_CHOSEN_BY_NODE_ENV),
    );
    expect(messageOf(() => resolveOptions({ registry: 'redis' }, PROD))).toBe(
      MISSING_SECRET('with the Redis registry'),
    );
    const o = resolveOptions({ secret: SECRET }, PROD);
    expect(o.registry).toBe('redis');
    expect(o.secretGenerated).toBe(false);
  });

  it('production with the memory registry still needs a secret', () => {
    expect(messageOf(() => resolveOptions({ registry: 'memory' }, PROD))).toBe(
      MISSING_SECRET('when NODE_ENV=production'),
    );
    expect(
      messageOf(() => resolveOptions({ registry: 'memory', secret: '' }, PROD)),
    ).toBe(MISSING_SECRET('when NODE_ENV=production'));
    expect(
      resolveOptions({ registry: 'memory', secret: SECRET }, PROD).registry,
    ).toBe('memory');
  });

  it('the redis registry needs a secret in development too', () => {
    expect(messageOf(() => resolveOptions({ registry: 'redis' }, DEV))).toBe(
      MISSING_SECRET('with the Redis registry'),
    );
    expect(
      resolveOptions({ registry: 'redis', secret: SECRET }, DEV).registry,
    ).toBe('redis');
  });

  it('a secret must be a string of at least 32 characters', () => {
    expect(resolveOptions({ secret: 'y'.repeat(32) }, DEV).secret).toBe(
      'y'.repeat(32),
    );
    expect(
      messageOf(() => resolveOptions({ secret: 'y'.repeat(31) }, DEV)),
    ).toBe(
      problem(
        'secret',
        'must be a string of at least 32 characters, got 31 characters',
      ),
    );
    expect(messageOf(() => resolveRaw({ secret: 12345 }))).toBe(
      problem(
        'secret',
        'must be a string of at least 32 characters, got 12345',
      ),
    );
    expect(messageOf(() => resolveRaw({ secret: ['y'.repeat(40)] }))).toBe(
      problem(
        'secret',
        'must be a string of at least 32 characters, got an array',
      ),
    );
  });

  it('registry is memory, redis, or a RealtimeRegistry of the app', () => {
    expect(messageOf(() => resolveRaw({ registry: 'mongo' }))).toBe(
      problem(
        'registry',
        `must be one of 'memory', 'redis' or a RealtimeRegistry, got "mongo"`,
      ),
    );
    const own = new MemoryRegistry({
      pendingTtl: 1000,
      reconnectGrace: 1000,
      maxChannelsPerView: 10,
    });
    expect(resolveRaw({ registry: own }).registry).toBe(own);
    expect(
      messageOf(() =>
        resolveRaw({ registry: { publish() {}, events$: undefined } }),
      ),
    ).toBe(
      problem(
        'registry',
        "must be 'memory', 'redis' or an object implementing RealtimeRegistry (missing: subscribe, unsubscribe, publishMatching, sendTo, attach, detach, listen, unlisten, isReady, close)",
      ),
    );
    expect(messageOf(() => resolveRaw({ registry: {} }))).toContain(
      'close, events$)',
    );
  });

  it('the environment defaults to process.env', () => {
    const o = resolveOptions({ secret: SECRET });
    expect(o.registry).toBe(
      process.env.NODE_ENV === 'production' ? 'redis' : 'memory',
    );
  });
});

describe('resolveOptions: the options object itself', () => {
  it('must be an object', () => {
    for (const raw of ['x', 5, true, [], () => ({})])
      expect(messageOf(() => resolveRaw(raw))).toBe(
        'RealtimeModule: options must be an object',
      );
  });

  it('unknown keys are refused, naming the key (a typo never passes silently)', () => {
    expect(messageOf(() => resolveRaw({ maxConnection: 5 }))).toBe(
      problem(
        'maxConnection',
        'is not a known option (did you mean "maxConnections"?)',
      ),
    );
    expect(messageOf(() => resolveRaw({ path: '/', trustproxy: true }))).toBe(
      problem(
        'trustproxy',
        'is not a known option (did you mean "trustProxy"?)',
      ),
    );
    expect(messageOf(() => resolveRaw({ hartbeatInterval: 5 }))).toBe(
      problem(
        'hartbeatInterval',
        'is not a known option (did you mean "heartbeatInterval"?)',
      ),
    );
    // Nothing near: no guess.
    expect(messageOf(() => resolveRaw({ colour: 'red' }))).toBe(
      problem('colour', 'is not a known option'),
    );
    expect(messageOf(() => resolveRaw({ cookie: { nmae: 'rk' } }))).toBe(
      problem(
        'cookie.nmae',
        'is not a known option (did you mean "cookie.name"?)',
      ),
    );
  });
});

describe('resolveOptions: every bad option at once', () => {
  it('lists each problem, each naming its option', () => {
    expect(
      messageOf(() =>
        resolveRaw({
          maxPayload: 1,
          heartbeatIntervall: 5,
          cookie: { sameSite: 'lots', path: 'x' },
        }),
      ),
    ).toBe(
      [
        'RealtimeModule: 4 options are wrong:',
        `  - ${problem('heartbeatIntervall', 'is not a known option (did you mean "heartbeatInterval"?)')}`,
        `  - ${problem('cookie.sameSite', `must be one of 'lax', 'strict', 'none', got "lots"`)}`,
        `  - ${problem('cookie.path', 'must start with "/" and contain no ";" or spaces, got "x"')}`,
        `  - ${problem('maxPayload', 'must be a whole number of bytes >= 64, got 1')}`,
      ].join('\n'),
    );
  });
});

describe('resolveOptions: path', () => {
  it('a URL path starting with "/", without query, fragment or spaces', () => {
    for (const path of ['/', '/rt', '/a/b-c_d.e~f', '/%20'])
      expect(resolveOptions({ path }, DEV).path).toBe(path);
    for (const path of [
      'rt',
      'rt/',
      '',
      '/a?b',
      '/a#b',
      '/a b',
      '/a\tb',
      '/a\n',
    ])
      expect(messageOf(() => resolveOptions({ path }, DEV))).toBe(
        problem(
          'path',
          `must be a URL path starting with "/" (no query, fragment or spaces), got ${JSON.stringify(path)}`,
        ),
      );
    expect(messageOf(() => resolveRaw({ path: 5 }))).toBe(
      problem(
        'path',
        'must be a URL path starting with "/" (no query, fragment or spaces), got 5',
      ),
    );
  });
});

type NumberCase = [
  name: keyof RealtimeModuleOptions,
  kind: 'ms' | 'count' | 'bytes',
  min: number,
];

const NUMBER_OPTIONS: NumberCase[] = [
  ['publishTimeout', 'ms', 1],
  ['reconnectGrace', 'ms', 0],
  ['pendingTtl', 'ms', 1],
  ['maxPayload', 'bytes', 64],
  ['maxBufferedBytes', 'bytes', 1024],
  ['heartbeatInterval', 'ms', 0],
  ['shutdownTimeout', 'ms', 0],
  ['maxConnectionsPerClient', 'count', 1],
  ['maxConnectionsPerAddress', 'count', 1],
  ['maxConnections', 'count', 1],
  ['maxChannelLength', 'count', 1],
  ['maxChannelsPerView', 'count', 1],
  ['callRouteTimeout', 'ms', 1],
  ['maxInFlight', 'count', 1],
];

const WORDS = {
  ms: 'a number of milliseconds',
  count: 'a whole number',
  bytes: 'a whole number of bytes',
} as const;

describe('resolveOptions: numbers', () => {
  it.each(NUMBER_OPTIONS)(
    '%s is %s >= %d, named in the message',
    (name, kind, min) => {
      const resolved = (value: unknown) =>
        resolveRaw({ [name]: value })[name as keyof ResolvedRealtimeOptions];
      expect(resolved(min)).toBe(min);
      expect(resolved(min + 5)).toBe(min + 5);
      const refused = (value: unknown, shown: string) =>
        expect(messageOf(() => resolved(value))).toBe(
          problem(name, `must be ${WORDS[kind]} >= ${min}, got ${shown}`),
        );
      refused(min - 1, String(min - 1));
      refused('100', '"100"');
      refused(Infinity, 'Infinity');
      refused(NaN, 'NaN');
      refused(null, 'null');
      if (kind === 'ms') expect(resolved(min + 0.5)).toBe(min + 0.5);
      else refused(min + 0.5, String(min + 0.5));
    },
  );
});

describe('resolveOptions: booleans and choices', () => {
  it.each(['requireOrigin', 'trustProxy', 'injectConnectionId'] as const)(
    '%s is true or false',
    (name) => {
      expect(resolveOptions({ [name]: true }, DEV)[name]).toBe(true);
      expect(resolveOptions({ [name]: false }, DEV)[name]).toBe(false);
      expect(messageOf(() => resolveRaw({ [name]: 'yes' }))).toBe(
        problem(name, 'must be true or false, got "yes"'),
      );
      expect(messageOf(() => resolveRaw({ [name]: 1 }))).toBe(
        problem(name, 'must be true or false, got 1'),
      );
    },
  );

  it('onInvalidConnection is inert or reject', () => {
    expect(
      resolveOptions({ onInvalidConnection: 'reject' }, DEV)
        .onInvalidConnection,
    ).toBe('reject');
    expect(messageOf(() => resolveRaw({ onInvalidConnection: 'drop' }))).toBe(
      problem(
        'onInvalidConnection',
        `must be one of 'inert', 'reject', got "drop"`,
      ),
    );
  });
});

describe('resolveCookie', () => {
  it('undefined gives a copy of the defaults; missing fields are filled', () => {
    const c = resolveCookie(undefined);
    expect(c).toEqual({
      name: 'realtime_key',
      secure: 'auto',
      sameSite: 'lax',
      path: '/',
      maxAge: 365 * DAY,
    });
    expect(c).not.toBe(DEFAULTS.cookie);
    expect(resolveCookie({})).toEqual(c);
    expect(resolveCookie({ name: 'rk' })).toEqual({ ...c, name: 'rk' });
    expect(resolveCookie({ maxAge: 0 })).toEqual({ ...c, maxAge: 0 });
    expect(resolveCookie({ maxAge: 1.5 })).toEqual({ ...c, maxAge: 1.5 });
  });

  it('must be an object', () => {
    for (const [value, shown] of [
      ['rk', '"rk"'],
      [null, 'null'],
      [['rk'], 'an array'],
      [5, '5'],
    ] as const)
      expect(messageOf(() => resolveCookie(value))).toBe(
        problem(
          'cookie',
          `must be an object { name, secure, sameSite, path, maxAge }, got ${shown}`,
        ),
      );
  });

  it('unknown cookie keys are refused, naming the key', () => {
    expect(messageOf(() => resolveCookie({ domain: 'x' }))).toBe(
      problem('cookie.domain', 'is not a known option'),
    );
    expect(
      resolveCookie({
        name: 'a',
        secure: false,
        sameSite: 'strict',
        path: '/',
        maxAge: 1,
      }),
    ).toEqual({
      name: 'a',
      secure: false,
      sameSite: 'strict',
      path: '/',
      maxAge: 1,
    });
  });

  it('the name is an RFC 6265 token: every token character is accepted', () => {
    for (const char of "!#$%&'*+-.^_`|~09AZaz")
      expect(resolveCookie({ name: `k${char}k` }).name).toBe(`k${char}k`);
    for (const name of ["!#$%&'*+-.^_`|~", 'x', '0', 'Z', 'realtime_key'])
      expect(resolveCookie({ name }).name).toBe(name);
  });

  it('a name with a separator, space or nothing at all is refused', () => {
    for (const name of [
      '',
      'a b',
      ' a',
      'a ',
      'a;b',
      'a=b',
      'a,b',
      '(a)',
      'a"',
      'é',
    ])
      expect(messageOf(() => resolveCookie({ name }))).toBe(
        problem(
          'cookie.name',
          `must be a valid cookie name, got ${JSON.stringify(name)}`,
        ),
      );
    expect(messageOf(() => resolveCookie({ name: 5 }))).toBe(
      problem('cookie.name', 'must be a valid cookie name, got 5'),
    );
  });

  it('the path starts with "/" and has no ";" or spaces', () => {
    for (const path of ['/', '/app', '/a/b'])
      expect(resolveCookie({ path }).path).toBe(path);
    for (const path of ['app', 'app/', '', '/a;b', '/a b', '/a\tb'])
      expect(messageOf(() => resolveCookie({ path }))).toBe(
        problem(
          'cookie.path',
          `must start with "/" and contain no ";" or spaces, got ${JSON.stringify(path)}`,
        ),
      );
    expect(messageOf(() => resolveCookie({ path: 1 }))).toBe(
      problem(
        'cookie.path',
        'must start with "/" and contain no ";" or spaces, got 1',
      ),
    );
  });

  it("secure is true, false or 'auto'", () => {
    for (const secure of [true, false, 'auto'] as const)
      expect(resolveCookie({ secure }).secure).toBe(secure);
    for (const [secure, shown] of [
      ['yes', '"yes"'],
      ['Auto', '"Auto"'],
      [1, '1'],
      [null, 'null'],
    ] as const)
      expect(messageOf(() => resolveCookie({ secure }))).toBe(
        problem('cookie.secure', `must be true, false or 'auto', got ${shown}`),
      );
  });

  it("sameSite is lax, strict or none; none needs secure true or 'auto'", () => {
    for (const sameSite of ['lax', 'strict', 'none'] as const)
      expect(resolveCookie({ sameSite }).sameSite).toBe(sameSite);
    expect(resolveCookie({ sameSite: 'none', secure: true }).secure).toBe(true);
    expect(resolveCookie({ sameSite: 'none', secure: 'auto' }).secure).toBe(
      'auto',
    );
    expect(resolveCookie({ sameSite: 'lax', secure: false }).secure).toBe(
      false,
    );
    expect(resolveCookie({ sameSite: 'strict', secure: false }).secure).toBe(
      false,
    );
    expect(
      messageOf(() => resolveCookie({ sameSite: 'none', secure: false })),
    ).toBe(
      problem(
        'cookie.sameSite',
        `'none' needs cookie.secure true or 'auto' (browsers drop SameSite=None cookies without Secure)`,
      ),
    );
    expect(messageOf(() => resolveCookie({ sameSite: 'None' }))).toBe(
      problem(
        'cookie.sameSite',
        `must be one of 'lax', 'strict', 'none', got "None"`,
      ),
    );
  });

  it('maxAge is a number of milliseconds >= 0', () => {
    expect(messageOf(() => resolveCookie({ maxAge: -1 }))).toBe(
      problem('cookie.maxAge', 'must be a number of milliseconds >= 0, got -1'),
    );
  });

  it('resolveOptions passes the cookie through resolveCookie', () => {
    expect(messageOf(() => resolveRaw({ cookie: { name: 'a b' } }))).toBe(
      problem('cookie.name', 'must be a valid cookie name, got "a b"'),
    );
  });
});

describe('resolveOrigins', () => {
  const entryProblem = (shown: string) =>
    problem(
      'allowedOrigins',
      `entries must be full origins like "https://app.example:8443" (scheme, host, optional port; no path), got ${shown}`,
    );

  it('undefined is an empty set; a function is kept as it is', () => {
    const none = resolveOrigins(undefined);
    expect(none).toBeInstanceOf(Set);
    expect((none as Set<string>).size).toBe(0);
    const predicate = () => false;
    expect(resolveOrigins(predicate)).toBe(predicate);
  });

  it('normalizes full origins: case, trailing slash, default port', () => {
    expect([
      ...(resolveOrigins([
        'HTTPS://App.Example',
        'https://b.example:443',
        'http://c.example:80/',
        'https://d.example:8443',
        'http://127.0.0.1:3000',
        'http://[::1]:3000',
      ]) as Set<string>),
    ]).toEqual([
      'https://app.example',
      'https://b.example',
      'http://c.example',
      'https://d.example:8443',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ]);
    expect([...(resolveOrigins([]) as Set<string>)]).toEqual([]);
  });

  it('refuses anything that is not a bare origin', () => {
    for (const origin of [
      'https://a.example/path',
      'https://a.example/.',
      'https://a.example\\x',
      'https://a.example?',
      'https://a.example?x=1',
      'https://a.example#',
      'https://a.example#top',
      'https://a.example/?x',
      'https://user@a.example',
      'https://:pw@a.example',
      'file:///etc/passwd',
      'file:///',
      'null',
      'a.example',
      '',
      'https://',
    ])
      expect(messageOf(() => resolveOrigins([origin]))).toBe(
        entryProblem(JSON.stringify(origin)),
      );
    expect(messageOf(() => resolveOrigins(['https://ok.example', 5]))).toBe(
      entryProblem('5'),
    );
    expect(messageOf(() => resolveOrigins([null]))).toBe(entryProblem('null'));
    // Objects that read like an origin are still not strings.
    expect(
      messageOf(() => resolveOrigins([new String('https://a.example')])),
    ).toBe(entryProblem('https://a.example'));
    expect(
      messageOf(() => resolveOrigins([new URL('https://a.example')])),
    ).toBe(entryProblem('https://a.example/'));
  });

  it('must be an array or a function', () => {
    expect(messageOf(() => resolveOrigins('https://a.example'))).toBe(
      problem(
        'allowedOrigins',
        'must be an array of origins or a function, got "https://a.example"',
      ),
    );
    expect(
      messageOf(() => resolveOrigins(new Set(['https://a.example']))),
    ).toBe(
      problem(
        'allowedOrigins',
        'must be an array of origins or a function, got [object Set]',
      ),
    );
  });

  it('resolveOptions uses it', () => {
    const o = resolveOptions({ allowedOrigins: ['https://A.example'] }, DEV);
    expect([...(o.allowedOrigins as Set<string>)]).toEqual([
      'https://a.example',
    ]);
  });
});

describe('resolveReplaced', () => {
  const message = (shown: string) =>
    problem(
      'replaceBundledHandlers',
      `must be an array of bundled actions ('ping', 'call-route', 'presence'), got ${shown}`,
    );

  it('undefined is none; bundled actions are kept, in a copy', () => {
    expect(resolveReplaced(undefined)).toEqual([]);
    const list = ['call-route'];
    const resolved = resolveReplaced(list);
    expect(resolved).toEqual(['call-route']);
    expect(resolved).not.toBe(list);
    expect(resolveReplaced(['ping'])).toEqual(['ping']);
    expect(resolveReplaced([])).toEqual([]);
  });

  it('anything else is refused, even next to a bundled action', () => {
    expect(messageOf(() => resolveReplaced(['ping', 'chat']))).toBe(
      message('an array'),
    );
    expect(messageOf(() => resolveReplaced(['chat', 'ping']))).toBe(
      message('an array'),
    );
    expect(messageOf(() => resolveReplaced('ping'))).toBe(message('"ping"'));
    expect(messageOf(() => resolveReplaced(null))).toBe(message('null'));
  });
});

describe('resolveGuard', () => {
  const message = (shown: string) =>
    problem(
      'digestGuard',
      `must be a class extending RealtimeDigestGuard, got ${shown}`,
    );

  it('undefined is none; a class with canActivate is kept', () => {
    expect(resolveGuard(undefined)).toBeUndefined();
    // A subclass of RealtimeDigestGuard inherits canActivate; so does this one.
    class Base {
      canActivate() {
        return true;
      }
    }
    class Guard extends Base {}
    expect(resolveGuard(Guard)).toBe(Guard);
    class Own {
      canActivate() {
        return true;
      }
    }
    expect(resolveGuard(Own)).toBe(Own);
  });

  it('refuses functions without canActivate, instances and other values', () => {
    expect(messageOf(() => resolveGuard(() => true))).toBe(
      message('a function'),
    );
    expect(messageOf(() => resolveGuard(class {}))).toBe(message('a function'));
    expect(
      messageOf(() => resolveGuard({ prototype: { canActivate() {} } })),
    ).toBe(message('[object Object]'));
    expect(messageOf(() => resolveGuard(null))).toBe(message('null'));
    expect(messageOf(() => resolveGuard('Guard'))).toBe(message('"Guard"'));
  });
});

describe('resolveRedis', () => {
  const urlMessage = (shown: string) =>
    problem(
      'redis',
      `must be a redis:// or rediss:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${shown}`,
    );
  const valueMessage = (shown: string) =>
    problem(
      'redis',
      `must be a redis:// URL, RedisOptions, { nodes, options } or a Redis/Cluster client, got ${shown}`,
    );

  it('undefined is the local default; redis:// and rediss:// URLs are kept', () => {
    expect(resolveRedis(undefined)).toBe('redis://127.0.0.1:6379');
    expect(resolveRedis('redis://h:1')).toBe('redis://h:1');
    expect(resolveRedis('rediss://h:1')).toBe('rediss://h:1');
    expect(resolveRedis('redis://')).toBe('redis://');
  });

  it('other strings are refused', () => {
    for (const url of [
      'http://h',
      'redisss://h',
      ' redis://h',
      'xredis://h',
      'redis:/h',
      'redis:h',
      'h:6379',
      '',
    ])
      expect(messageOf(() => resolveRedis(url))).toBe(
        urlMessage(JSON.stringify(url)),
      );
  });

  it('objects are kept as they are; other values are refused', () => {
    const options = { host: 'h', port: 1 };
    expect(resolveRedis(options)).toBe(options);
    const cluster = { nodes: [{ host: 'h', port: 1 }] };
    expect(resolveRedis(cluster)).toBe(cluster);
    const hosts = { nodes: ['h:1'] };
    expect(resolveRedis(hosts)).toBe(hosts);
    for (const [value, shown] of [
      [null, 'null'],
      [5, '5'],
      [['redis://h'], 'an array'],
      [true, 'true'],
    ] as const)
      expect(messageOf(() => resolveRedis(value))).toBe(valueMessage(shown));
  });

  it('cluster nodes must be a non-empty array', () => {
    const message = problem(
      'redis.nodes',
      'must be a non-empty array of cluster nodes ({ host, port } or "host:port")',
    );
    expect(messageOf(() => resolveRedis({ nodes: [] }))).toBe(message);
    expect(messageOf(() => resolveRedis({ nodes: 'h:1' }))).toBe(message);
    expect(messageOf(() => resolveRedis({ nodes: null }))).toBe(message);
  });

  it('resolveOptions uses it', () => {
    expect(messageOf(() => resolveRaw({ redis: 'http://h' }))).toBe(
      urlMessage('"http://h"'),
    );
  });
});

describe('resolveKeyPrefix', () => {
  const message = (shown: string) =>
    problem(
      'keyPrefix',
      `must be a non-empty string of at most 100 characters without spaces or braces, got ${shown}`,
    );

  it('undefined is realtime:; 1 to 100 characters are kept', () => {
    expect(resolveKeyPrefix(undefined)).toBe('realtime:');
    expect(resolveKeyPrefix('a')).toBe('a');
    expect(resolveKeyPrefix('p'.repeat(100))).toBe('p'.repeat(100));
    expect(resolveKeyPrefix('app:1:')).toBe('app:1:');
  });

  it('empty, too long, spaces, braces or not a string are refused', () => {
    for (const prefix of [
      '',
      'p'.repeat(101),
      'a b',
      'a\tb',
      'a{b',
      'a}b',
      '{app}',
    ])
      expect(messageOf(() => resolveKeyPrefix(prefix))).toBe(
        message(describeValue(prefix)),
      );
    expect(messageOf(() => resolveKeyPrefix(5))).toBe(message('5'));
  });
});

describe('resolveRateLimit', () => {
  it('undefined gives a copy of the defaults; missing fields are filled', () => {
    const r = resolveRateLimit(undefined);
    expect(r).toEqual({ messages: 100, interval: 10_000, closeAfter: 3 });
    expect(r).not.toBe(DEFAULTS.rateLimit);
    expect(resolveRateLimit({})).toEqual(r);
    expect(resolveRateLimit({ messages: 5 })).toEqual({ ...r, messages: 5 });
    expect(resolveRateLimit({ interval: 0.5 + 1 })).toEqual({
      ...r,
      interval: 1.5,
    });
    expect(resolveRateLimit({ closeAfter: 1 })).toEqual({
      ...r,
      closeAfter: 1,
    });
  });

  it('must be an object of known keys', () => {
    for (const [value, shown] of [
      [null, 'null'],
      [[], 'an array'],
      [100, '100'],
    ] as const)
      expect(messageOf(() => resolveRateLimit(value))).toBe(
        problem(
          'rateLimit',
          `must be an object { messages, interval, closeAfter }, got ${shown}`,
        ),
      );
    expect(messageOf(() => resolveRateLimit({ burst: 1 }))).toBe(
      problem('rateLimit.burst', 'is not a known option'),
    );
  });

  it('each field names itself', () => {
    expect(messageOf(() => resolveRateLimit({ messages: 0 }))).toBe(
      problem('rateLimit.messages', 'must be a whole number >= 1, got 0'),
    );
    expect(messageOf(() => resolveRateLimit({ messages: 1.5 }))).toBe(
      problem('rateLimit.messages', 'must be a whole number >= 1, got 1.5'),
    );
    expect(messageOf(() => resolveRateLimit({ interval: 0 }))).toBe(
      problem(
        'rateLimit.interval',
        'must be a number of milliseconds >= 1, got 0',
      ),
    );
    expect(messageOf(() => resolveRateLimit({ closeAfter: 0 }))).toBe(
      problem('rateLimit.closeAfter', 'must be a whole number >= 1, got 0'),
    );
    expect(messageOf(() => resolveRateLimit({ closeAfter: 2.5 }))).toBe(
      problem('rateLimit.closeAfter', 'must be a whole number >= 1, got 2.5'),
    );
  });
});

describe('resolveClientPath', () => {
  const message = (shown: string) =>
    problem(
      'clientPath',
      `must be a URL path like "/realtime/client.js" or false, got ${shown}`,
    );

  it('undefined is the default; false turns it off; URL paths are kept', () => {
    expect(resolveClientPath(undefined)).toBe('/realtime/client.js');
    expect(resolveClientPath(false)).toBe(false);
    for (const path of [
      '/',
      '/a',
      '/Z',
      '/0',
      '/9',
      '/.',
      '/_',
      '/~',
      '/-',
      '//',
      '/x/y.js',
      '/A-z_0.9~/',
    ])
      expect(resolveClientPath(path)).toBe(path);
  });

  it('anything else is refused', () => {
    for (const path of [
      '',
      'rt.js',
      ' /rt.js',
      '/rt.js ',
      '/a b',
      '/a?b',
      '/a#b',
      '/é',
      '/a%20',
      '/a\\b',
    ])
      expect(messageOf(() => resolveClientPath(path))).toBe(
        message(JSON.stringify(path)),
      );
    expect(messageOf(() => resolveClientPath(true))).toBe(message('true'));
    expect(messageOf(() => resolveClientPath(new String('/rt.js')))).toBe(
      message('/rt.js'),
    );
    expect(messageOf(() => resolveClientPath(null))).toBe(message('null'));
  });
});

describe('nearest: the "did you mean" of an unknown option', () => {
  const known = ['heartbeatInterval', 'trustProxy', 'maxPayload', 'path'];

  it('finds the closest known name within a few edits, ignoring case', () => {
    expect(nearest('TRUSTPROXY', known)).toBe('trustProxy');
    expect(nearest('maxPayloads', known)).toBe('maxPayload');
    expect(nearest('heartbeatIntervall', known)).toBe('heartbeatInterval');
    expect(nearest('hartbeatIntrval', known)).toBe('heartbeatInterval');
    expect(nearest('pth', known)).toBe('path');
  });

  it('the closest wins; nothing close is no guess', () => {
    expect(nearest('abd', ['xyz', 'abc', 'abd'])).toBe('abd');
    expect(nearest('abcx', ['abyy', 'abcd'])).toBe('abcd');
    // A tie: the first known name.
    expect(nearest('abcx', ['abcy', 'abcz'])).toBe('abcy');
    expect(nearest('colour', known)).toBeUndefined();
    expect(nearest('x', known)).toBeUndefined();
    expect(nearest('anything', [])).toBeUndefined();
  });

  it('the distance counts insertions, deletions and substitutions', () => {
    // One edit each: found; many: not.
    expect(nearest('pathx', ['path'])).toBe('path');
    expect(nearest('pat', ['path'])).toBe('path');
    expect(nearest('paxh', ['path'])).toBe('path');
    expect(nearest('qqqq', ['path'])).toBeUndefined();
  });

  it('a name beyond the distance allowed for its length gets no guess', () => {
    // "pathxxx" is three edits from "path": more than the two allowed for 7 characters.
    expect(nearest('pathxxx', ['path'])).toBeUndefined();
    expect(nearest('pathxx', ['path'])).toBe('path');
  });
});

describe('groups of options (cookie, rateLimit)', () => {
  it('a group that is not an object names its fields', () => {
    expect(messageOf(() => resolveRaw({ cookie: 'x' }))).toBe(
      problem(
        'cookie',
        'must be an object { name, secure, sameSite, path, maxAge }, got "x"',
      ),
    );
    expect(messageOf(() => resolveRaw({ rateLimit: [] }))).toBe(
      problem(
        'rateLimit',
        'must be an object { messages, interval, closeAfter }, got an array',
      ),
    );
  });

  it("the group's own check runs only once its fields are valid", () => {
    expect(
      messageOf(() =>
        resolveRaw({ cookie: { sameSite: 'none', secure: false, path: 'x' } }),
      ),
    ).toBe(
      problem(
        'cookie.path',
        'must start with "/" and contain no ";" or spaces, got "x"',
      ),
    );
  });
});

describe('registry: an object of the app', () => {
  it('needs every method and events$', () => {
    const methods = Object.fromEntries(
      [
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
      ].map((m) => [m, () => undefined]),
    );
    expect(messageOf(() => resolveRaw({ registry: methods }))).toBe(
      problem(
        'registry',
        "must be 'memory', 'redis' or an object implementing RealtimeRegistry (missing: events$)",
      ),
    );
    expect(messageOf(() => resolveRaw({ registry: null }))).toBe(
      problem(
        'registry',
        "must be one of 'memory', 'redis' or a RealtimeRegistry, got null",
      ),
    );
    const complete = { ...methods, events$: {} };
    expect(resolveRaw({ registry: complete }).registry).toBe(complete);
  });
});
