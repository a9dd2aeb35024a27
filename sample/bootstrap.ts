import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createRequire } from 'node:module';
import { RealtimeWsAdapter } from 'nestjs-realtime';
import { AppModule } from './app.module';

type SampleOptions = { logger?: LoggerService | LogLevel[] | false };

/** `PLATFORM=fastify` runs the sample on Fastify; anything else (or nothing) on Express. */
export function samplePlatform(): 'express' | 'fastify' {
  const platform = process.env.PLATFORM ?? 'express';
  if (platform !== 'express' && platform !== 'fastify')
    throw new Error(
      `PLATFORM must be "express" or "fastify" (got "${platform}")`,
    );
  return platform;
}

/**
 * Creates the sample app, not yet listening: what `main.ts` starts and what the
 * tests start, so both run the same app.
 */
export async function createSampleApp(
  options: SampleOptions = {},
): Promise<INestApplication> {
  let app: INestApplication;
  if (samplePlatform() === 'fastify') {
    // Loaded only when asked for: an Express app needs no Fastify installed.
    const { FastifyAdapter } = createRequire(__filename)(
      '@nestjs/platform-fastify',
    ) as typeof import('@nestjs/platform-fastify');
    app = await NestFactory.create(AppModule, new FastifyAdapter(), options);
  } else {
    app = await NestFactory.create(AppModule, options);
  }
  app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  return app;
}
