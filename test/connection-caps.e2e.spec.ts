import { describe, expect, it } from 'vitest';
import { startApp } from './support/app';
import { getPage } from './support/http-client';
import { openView } from './support/views';
import { connect, handshakeStatus } from './support/ws-client';

describe('connection caps', () => {
  it('maxConnectionsPerClient answers 429, maxConnections 503, and places free up on close', async () => {
    const t = await startApp({ maxConnectionsPerClient: 2, maxConnections: 3 });
    try {
      const page = await getPage(`${t.url}/plain`);
      const creds = { connectionId: page.connectionId, key: page.key };
      const one = await connect(t.url, creds);
      const two = await connect(t.url, creds);
      expect(await handshakeStatus(t.url, creds)).toBe(429);
      const other = await openView(t);
      expect(await handshakeStatus(t.url, { key: 'k'.repeat(43) })).toBe(503);
      await one.close();
      await expect
        .poll(() => t.realtime.stats().connections, { timeout: 3000 })
        .toBe(2);
      expect(await handshakeStatus(t.url, creds)).toBe(101);
      const rejections = t.realtime.stats().rejections;
      expect(rejections.client_cap).toBe(1);
      expect(rejections.global_cap).toBe(1);
      await Promise.all([two.close(), other.client.close()]);
    } finally {
      await t.close();
    }
  });
});
