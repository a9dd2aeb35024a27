import {
  type DynamicModule,
  Module,
  type LoggerService,
  type ModuleMetadata,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createRequire } from 'node:module';
import { Test } from '@nestjs/testing';
import { readFile } from 'node:fs';
import { join } from 'node:path';
import {
  RealtimeModule,
  RealtimeService,
  RealtimeWsAdapter,
  type RealtimeModuleOptions,
} from '../../src';
import { REALTIME_REGISTRY } from '../../src/realtime.constants';
import type { MemoryRegistry } from '../../src/registry/memory.registry';
import { appUrl } from '../../src/testing';
import { FixtureController } from '../fixtures/fixture.controller';
import { startRedis } from './redis-server';

/** The HTTP platform the suite runs on: `PLATFORM=fastify` (the CI matrix) or Express. */
export const PLATFORM: 'express' | 'fastify' =
  process.env.PLATFORM === 'fastify' ? 'fastify' : 'express';

export interface TestApp {
  /** Typed as Express's app; on Fastify it is a NestFastifyApplication (see PLATFORM). */
  app: NestExpressApplication;
  url: string;
  realtime: RealtimeService;
  registry: MemoryRegistry;
  close(): Promise<void>;
}

/** How the test app boots, beyond the module options. */
export interface BootOptions {
  /** The app's logger (default: none). */
  logger?: LoggerService;
  /** Set `RealtimeWsAdapter` in main.ts style (default true; false leaves it to the module). */
  adapter?: boolean;
  /** The realtime module itself (e.g. `forRootAsync(...)`), instead of `forRoot(options)`. */
  module?: DynamicModule;
  /** The platform's own trust-proxy setting: Express's `trust proxy`, Fastify's `trustProxy`. */
  trustProxy?: string;
  /** The HTTP platform (default: PLATFORM). */
  platform?: 'express' | 'fastify';
  /** Other modules of the app (e.g. `TerminusModule`). */
  imports?: NonNullable<ModuleMetadata['imports']>;
  /** Runs on the app before it listens (main.ts style: plugins, settings). */
  setup?: (app: INestApplication) => void | Promise<void>;
}

const views = join(__dirname, '..', 'fixtures', 'views');

/** A Nest app on the suite's platform, views set up (`{{name}}` templates on both). */
function createApp(
  moduleRef: Awaited<
    ReturnType<ReturnType<typeof Test.createTestingModule>['compile']>
  >,
  boot: BootOptions,
): INestApplication {
  const logger = boot.logger ?? false;
  if ((boot.platform ?? PLATFORM) === 'fastify') {
    // Loaded only here: the Express cells of the CI matrix have no Fastify installed.
    const load = createRequire(__filename);
    const { FastifyAdapter } = load(
      '@nestjs/platform-fastify',
    ) as typeof import('@nestjs/platform-fastify');
    const app = moduleRef.createNestApplication<
      import('@nestjs/platform-fastify').NestFastifyApplication
    >(new FastifyAdapter({ trustProxy: boot.trustProxy }), { logger });
    app.setViewEngine({
      engine: { handlebars: load('handlebars') },
      templates: views,
      viewExt: 'html',
    } as never);
    return app;
  }
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    logger,
  });
  app.engine('html', renderTemplate);
  app.setBaseViewsDir(views);
  app.setViewEngine('html');
  return app;
}

/** A tiny `{{name}}` template engine, so `@Render` runs through Express's res.render. */
function renderTemplate(
  file: string,
  options: object,
  callback: (error: Error | null, html?: string) => void,
): void {
  readFile(file, 'utf8', (error, text) => {
    if (error) return callback(error);
    callback(
      null,
      text.replace(/\{\{(\w+)\}\}/g, (_, name: string) =>
        String((options as Record<string, unknown>)[name] ?? ''),
      ),
    );
  });
}

/** A real Nest app with the module and the fixture routes, listening on 127.0.0.1. */
export async function startApp(
  options: RealtimeModuleOptions = {},
  controllers: Type[] = [FixtureController],
  providers: Provider[] = [],
  boot: BootOptions = {},
): Promise<TestApp> {
  @Module({
    imports: [
      boot.module ?? RealtimeModule.forRoot(options),
      ...(boot.imports ?? []),
    ],
    controllers,
    providers,
  })
  class FixtureAppModule {}

  const builder = Test.createTestingModule({ imports: [FixtureAppModule] });
  // As NestFactory.create(AppModule, { logger }): providers made while compiling log there too.
  if (boot.logger) builder.setLogger(boot.logger);
  const moduleRef = await builder.compile();
  const app = createApp(moduleRef, boot) as NestExpressApplication;
  if (boot.adapter ?? true) app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  await boot.setup?.(app);
  await app.listen(0, '127.0.0.1');
  // After listen, as an app may set it in main.ts after the module booted: read at each use.
  if (
    (boot.platform ?? PLATFORM) === 'express' &&
    boot.trustProxy !== undefined
  )
    app.set('trust proxy', boot.trustProxy);
  return {
    app,
    url: await appUrl(app),
    realtime: app.get(RealtimeService),
    registry: app.get(REALTIME_REGISTRY),
    close: () => app.close(),
  };
}

/** Until every app's registry is ready (Redis connected and in sync), bounded; usable in hooks. */
export async function registriesReady(
  apps: readonly TestApp[],
  timeout = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!apps.every((t) => t.realtime.stats().registry.ready)) {
    if (Date.now() > deadline)
      throw new Error(`the registries were not ready within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Two apps on one fresh redis-server of their own (`registry: 'redis'`), both ready;
 * `stop` closes both and stops the server.
 */
export async function twoInstancesOnRedis(
  options: RealtimeModuleOptions,
  controllers: Parameters<typeof startApp>[1],
): Promise<{ a: TestApp; b: TestApp; stop(): Promise<void> }> {
  const redis = await startRedis();
  const onRedis: RealtimeModuleOptions = {
    ...options,
    registry: 'redis',
    redis: redis.url,
  };
  const a = await startApp(onRedis, controllers);
  const b = await startApp(onRedis, controllers);
  await registriesReady([a, b]);
  return {
    a,
    b,
    stop: async () => {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    },
  };
}
