import type { INestApplication } from '@nestjs/common';

/**
 * The base URL of an app listening on loopback (`await app.listen(0, '127.0.0.1')`).
 * Nest reports such an app as `http://[::1]:<port>`; the address it listens on is
 * 127.0.0.1, so that is what clients must use.
 */
export async function appUrl(app: INestApplication): Promise<string> {
  return (await app.getUrl()).replace('[::1]', '127.0.0.1');
}
