import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RealtimeWsAdapter } from 'nestjs-realtime';
import { AppModule } from './app.module';

/**
 * Creates the sample app, not yet listening: what `main.ts` starts and what the
 * tests start, so both run the same app.
 */
export async function createSampleApp(
  options: { logger?: LoggerService | LogLevel[] | false } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, options);
  app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  return app;
}
