import { createContext, runInContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './support/app';

describe('the browser client script served at clientPath', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the IIFE with a JavaScript type, caching headers and an ETag', async () => {
    const res = await fetch(`${t.url}/realtime/client.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(
      'application/javascript; charset=utf-8',
    );
    expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const source = await res.text();
    // It defines window.Realtime with connect().
    const sandbox: Record<string, unknown> = {};
    sandbox.window = sandbox;
    runInContext(source, createContext(sandbox));
    expect(typeof (sandbox.Realtime as { connect?: unknown }).connect).toBe(
      'function',
    );
    // No key cookie for a script request.
    expect(res.headers.get('set-cookie')).toBeNull();
    const again = await fetch(`${t.url}/realtime/client.js`, {
      headers: { 'if-none-match': etag as string },
    });
    expect(again.status).toBe(304);
  });

  it('moves with clientPath and can be turned off', async () => {
    const moved = await startApp({ clientPath: '/assets/rt.js' });
    const off = await startApp({ clientPath: false });
    try {
      expect((await fetch(`${moved.url}/assets/rt.js`)).status).toBe(200);
      expect((await fetch(`${moved.url}/realtime/client.js`)).status).toBe(404);
      expect((await fetch(`${off.url}/realtime/client.js`)).status).toBe(404);
    } finally {
      await Promise.all([moved.close(), off.close()]);
    }
  });
});
