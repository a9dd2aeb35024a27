import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  TerminusModule,
} from '@nestjs/terminus';
import { register, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { RealtimeHealthIndicator, type RealtimeModuleOptions } from '../src';
import { RealtimeIdentity } from '../src/identity/realtime-identity';
import { loadPromClient } from '../src/metrics/prom-client-loader';
import { startApp, type TestApp } from './support/app';
import {
  redisAvailable,
  startRedis,
  type RedisProcess,
} from './support/redis-server';
import { openView } from './support/views';
import { connect, handshakeStatus } from './support/ws-client';

// README "Metrics and health" (SPEC §12): prom-client collectors on a real Registry,
// read as a scrape reads them, moving with what users do; the global registry taken
// by one app at a time; a terminus health check that goes down with Redis and back.

const apps: TestApp[] = [];
async function app(...args: Parameters<typeof startApp>): Promise<TestApp> {
  const t = await startApp(...args);
  apps.push(t);
  return t;
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

/** A scrape: every sample of the registry by name and labels (`name{a="1",b="2"}` → value). */
async function scrape(registry: Registry): Promise<Map<string, number>> {
  const samples = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

describe('metrics: prom-client collectors (README "Metrics and health")', () => {
  it('registers exactly the SPEC §12 metrics, and they move with connects, pushes, requests, refusals and resumes; no label carries a channel, id or digest', async () => {
    const registry = new Registry();
    const t = await app({ metrics: { registry, prefix: 'rt_' } });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.sort()).toEqual(
      [
        'rt_channels',
        'rt_connections',
        'rt_connections_accepted_total',
        'rt_connections_rejected_total',
        'rt_disconnects_total',
        'rt_handler_duration_seconds',
        'rt_messages_received_total',
        'rt_messages_sent_total',
        'rt_publish_duration_seconds',
        'rt_recoveries_total',
        'rt_registry_errors_total',
        'rt_slow_consumer_closes_total',
        'rt_views',
      ].sort(),
    );
    let m = await scrape(registry);
    expect(m.get('rt_connections')).toBe(0);
    expect(m.get('rt_messages_sent_total')).toBe(0);

    const { client, id, key } = await openView(t, '/room/secret-room-name');
    await client.resume();
    await t.realtime.push('hello', 'room:secret-room-name');
    expect(await client.next()).toEqual({
      channel: 'room:secret-room-name',
      payload: 'hello',
    });
    expect(await client.request({ id: 1, action: 'ping' })).toEqual({
      id: 1,
      payload: 'pong',
    });
    expect(
      await client.request({ id: 2, action: 'no-such-action' }),
    ).toMatchObject({
      id: 2,
      error: { code: 'unknown_action' },
    });
    expect(
      await handshakeStatus(t.url, { origin: 'https://evil.example' }),
    ).toBe(403);
    // An inert connection presenting positions is told unknown_view.
    const inert = await connect(t.url, {
      connectionId: 'not-issued',
      since: { 'room:x': ['E', 3] },
    });
    expect((await inert.resume()).failed).toEqual({ 'room:x': 'unknown_view' });

    m = await scrape(registry);
    expect(m.get('rt_connections')).toBe(2);
    expect(m.get('rt_views')).toBe(1);
    expect(m.get('rt_channels')).toBe(1);
    expect(m.get('rt_connections_accepted_total')).toBe(2);
    expect(m.get('rt_connections_rejected_total{reason="origin"}')).toBe(1);
    expect(m.get('rt_recoveries_total{recovered="true",reason="none"}')).toBe(
      1,
    );
    expect(
      m.get('rt_recoveries_total{recovered="false",reason="unknown_view"}'),
    ).toBe(1);
    expect(m.get('rt_messages_received_total')).toBe(2);
    // stats() tells the same resumes (SPEC §12).
    expect(t.realtime.stats().history).toEqual({
      recovered: 1,
      failed: { unknown_view: 1 },
    });
    // Two resume frames, the push, two replies.
    expect(m.get('rt_messages_sent_total')).toBe(5);
    expect(m.get('rt_publish_duration_seconds_count')).toBe(1);
    expect(
      m.get('rt_handler_duration_seconds_count{action="ping",outcome="ok"}'),
    ).toBe(1);
    expect(
      m.get(
        'rt_handler_duration_seconds_count{action="unknown",outcome="unknown_action"}',
      ),
    ).toBe(1);

    await Promise.all([client.close(), inert.close()]);
    await expect
      .poll(async () => (await scrape(registry)).get('rt_connections'))
      .toBe(0);
    m = await scrape(registry);
    // The clients closed without a status code: 1005.
    expect(m.get('rt_disconnects_total{code="1005"}')).toBe(2);

    const text = await registry.metrics();
    const digest = t.app.get(RealtimeIdentity).digest(key, id);
    for (const secret of ['secret-room-name', id, digest, 'no-such-action'])
      expect(text).not.toContain(secret);
  });

  it("metrics: true takes prom-client's global registry: a second app of the process fails boot saying so; once the first closes, another may", async () => {
    const first = await app({ metrics: true });
    expect(
      await register.getSingleMetricAsString('realtime_connections'),
    ).toContain('realtime_connections 0');
    await expect(app({ metrics: true })).rejects.toThrow(
      /option "metrics": the metric "realtime_connections" is registered already in prom-client's global registry .*metrics: \{ registry: new Registry\(\) \}/,
    );
    await first.close();
    apps.splice(apps.indexOf(first), 1);
    expect(register.getSingleMetric('realtime_connections')).toBeUndefined();
    await app({ metrics: true });
    expect(register.getSingleMetric('realtime_connections')).toBeDefined();
  });

  it('bad values fail boot naming the option', async () => {
    for (const [value, problem] of [
      ['yes', /"metrics".*must be true, false or \{ registry\?, prefix\? \}/],
      [{ prefix: '1bad' }, /"metrics\.prefix".*Prometheus metric-name prefix/],
      [{ registry: {} }, /"metrics\.registry".*prom-client Registry/],
      [{ labels: {} }, /"metrics".*unknown field "labels"/],
    ] as const)
      await expect(
        app({ metrics: value as RealtimeModuleOptions['metrics'] }),
      ).rejects.toThrow(problem);
  });

  it('without prom-client, metrics fails boot with "install prom-client"; other load errors pass through', () => {
    const missing = Object.assign(
      new Error("Cannot find module 'prom-client'"),
      { code: 'MODULE_NOT_FOUND' },
    );
    expect(() =>
      loadPromClient(() => {
        throw missing;
      }),
    ).toThrow(/option "metrics" needs prom-client.*npm i prom-client/);
    const broken = new Error('a syntax error inside prom-client');
    expect(() =>
      loadPromClient(() => {
        throw broken;
      }),
    ).toThrow(broken);
  });
});

@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly realtime: RealtimeHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.realtime.isHealthy()]);
  }
}

async function health(t: TestApp): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${t.url}/health`);
  return { status: res.status, body: await res.json() };
}

describe.skipIf(!redisAvailable())(
  'health: RealtimeHealthIndicator with @nestjs/terminus',
  () => {
    let redis: RedisProcess | undefined;
    afterEach(async () => {
      await redis?.stop();
      redis = undefined;
    });

    it('up with the connection count while Redis is there, 503 down while it is stopped, up again when it is back; a push meanwhile counts a registry error', async () => {
      redis = await startRedis();
      const registry = new Registry();
      const t = await app(
        {
          registry: 'redis',
          redis: redis.url,
          secret: 'a-fixed-secret-for-the-health-tests-0123456789',
          keyPrefix: 'health:',
          publishTimeout: 300,
          metrics: { registry },
        },
        [HealthController],
        [],
        { imports: [TerminusModule] },
      );
      await expect
        .poll(async () => (await health(t)).status, { timeout: 10_000 })
        .toBe(200);
      const { client } = await openView(t, '/room/h');
      expect(await health(t)).toEqual({
        status: 200,
        body: {
          status: 'ok',
          info: {
            realtime: { status: 'up', connections: 1, registry: 'redis' },
          },
          error: {},
          details: {
            realtime: { status: 'up', connections: 1, registry: 'redis' },
          },
        },
      });

      await redis.kill();
      await expect
        .poll(async () => (await health(t)).status, { timeout: 10_000 })
        .toBe(503);
      expect((await health(t)).body).toMatchObject({
        status: 'error',
        error: { realtime: { status: 'down', registry: 'redis' } },
      });
      await expect(t.realtime.push('lost', 'room:h')).rejects.toMatchObject({
        code: 'registry_unavailable',
      });
      expect(
        (await scrape(registry)).get(
          'realtime_registry_errors_total{op="publish"}',
        ),
      ).toBe(1);

      await redis.restart();
      await expect
        .poll(async () => (await health(t)).status, { timeout: 15_000 })
        .toBe(200);
      await client.close();
    });
  },
);
