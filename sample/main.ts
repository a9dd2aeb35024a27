import { createSampleApp } from './bootstrap';

async function main(): Promise<void> {
  const app = await createSampleApp();
  // SIGTERM / SIGINT close the sockets with 1001 (clients reconnect elsewhere).
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

void main();
