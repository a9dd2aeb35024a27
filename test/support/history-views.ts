import { expect } from 'vitest';
import { getPage, postJson } from './http-client';
import { connect, type TestClient } from './ws-client';

// Client views as the no-gap suites use them (README "Delivery guarantees"): a page
// render that subscribed, sockets that keep push offsets, whole runs of frames.

/** A page render on `t` that subscribed its view to `channels` (no socket yet). */
export async function render(
  t: { url: string },
  ...channels: string[]
): Promise<{ id: string; key: string }> {
  const page = await getPage(`${t.url}/plain`);
  const id = page.connectionId as string;
  const key = page.key as string;
  const res = await postJson(`${t.url}/subscribe`, { channels }, key, id);
  expect(res.status).toBe(200);
  return { id, key };
}

/** A socket of `view` on `t`, presenting `since`; push frames keep their `offset`. */
export function open(
  t: { url: string },
  view: { id: string; key: string },
  since?: TestClient['positions'],
): Promise<TestClient> {
  return connect(t.url, {
    connectionId: view.id,
    key: view.key,
    since,
    offsets: 'keep',
  });
}

/** The next `n` frames, for comparing whole runs. */
export async function frames(
  client: TestClient,
  n: number,
): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(await client.next());
  return out;
}

/** A push frame with its offset. */
export const push = (channel: string, payload: unknown, offset: number) => ({
  channel,
  payload,
  offset,
});
