import { getPage } from './http-client';
import { connect, type ConnectOptions, type TestClient } from './ws-client';

/** A browser view: a page render (its id and key cookie), then its socket. */
export async function openView(
  t: { url: string },
  path = '/plain',
  socket: ConnectOptions = {},
): Promise<{ client: TestClient; id: string; key: string }> {
  const page = await getPage(t.url + path);
  const client = await connect(t.url, {
    connectionId: page.connectionId,
    key: page.key,
    ...socket,
  });
  return { client, id: page.connectionId as string, key: page.key as string };
}

/** The raw socket under a `ws` client: pausing it stops reading (no data, no pongs). */
export function rawSocket(client: TestClient): {
  pause(): void;
  resume(): void;
} {
  return (
    client.ws as unknown as { _socket: { pause(): void; resume(): void } }
  )._socket;
}

/** Lets `n` turns of the event loop run (I/O callbacks included). */
export async function turns(n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await new Promise((resolve) => setImmediate(resolve));
}
