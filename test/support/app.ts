import {
  type DynamicModule,
  Module,
  type LoggerService,
  type Provider,
  type Type,
} from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
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

export interface TestApp {
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
    imports: [boot.module ?? RealtimeModule.forRoot(options)],
    controllers,
    providers,
  })
  class FixtureAppModule {}

  const moduleRef = await Test.createTestingModule({
    imports: [FixtureAppModule],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    logger: boot.logger ?? false,
  });
  if (boot.adapter ?? true) app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  app.engine('html', renderTemplate);
  app.setBaseViewsDir(join(__dirname, '..', 'fixtures', 'views'));
  app.setViewEngine('html');
  await app.listen(0, '127.0.0.1');
  return {
    app,
    url: await appUrl(app),
    realtime: app.get(RealtimeService),
    registry: app.get(REALTIME_REGISTRY),
    close: () => app.close(),
  };
}
