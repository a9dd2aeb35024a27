import { NestFactory } from '@nestjs/core';
import { RealtimeWsAdapter } from 'nestjs-realtime';
import { AppModule } from './app.module';

async function bootstrap(): Promise<void> {
  const app = await NestFactory.create(AppModule);
  app.useWebSocketAdapter(new RealtimeWsAdapter(app));
  app.enableShutdownHooks();
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  await app.listen(port, host);
  const address = app.getHttpServer().address();
  const actualPort =
    typeof address === 'object' && address ? address.port : port;
  console.log(
    `nestjs-realtime sample listening on http://${host}:${actualPort}`,
  );
}

void bootstrap();
