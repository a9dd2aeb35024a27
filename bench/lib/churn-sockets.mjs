// The churn scenario's clients, each the target's own reconnecting client:
//   nestjs-realtime  the project's browser client (dist/client/index.mjs) over `ws`,
//                    with the page render's key cookie in every handshake;
//   socket.io        socket.io-client with its default reconnection (and the server's
//                    connection state recovery).
// Both expose the same handle: `drop()` destroys the open socket's TCP connection (the
// client sees an abnormal close, 1006 / "transport close", and reconnects by itself),
// `close()` ends the client for good. `hooks` receive what the check counts.
import { connect } from 'nestjs-realtime/client';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { pageRender } from './clients.mjs';

const FIRST_OPEN_TIMEOUT = 15_000;

/** Resolves on the first open; a client that never opens is closed and rejects. */
function firstOpen(what, close) {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const timer = setTimeout(() => {
    close();
    reject(new Error(`${what}: no open within ${FIRST_OPEN_TIMEOUT} ms`));
  }, FIRST_OPEN_TIMEOUT);
  return {
    promise,
    opened() {
      clearTimeout(timer);
      resolve();
    },
  };
}

/**
 * hooks: `onOpen()`, `onClose()`, `onMessage(seq, t)`, `onResume({ recovered, failed })`
 * (a resume frame, or Socket.IO's `socket.recovered` on a reconnect), `onNoResume()`
 * (a nestjs-realtime reconnect, i.e. not the first connection, that got a push, or is
 * still open at `settle()`, without any resume frame before).
 */
export async function openRealtime(base, channel, hooks) {
  const { id, key } = await pageRender(`http://${base}/sub/${channel}`);
  let socket;
  // The browser sends the HttpOnly key cookie by itself; `ws` needs it as a header.
  // A constructor returning the `ws` instance it made (the client calls `new` on it).
  function CookieWebSocket(url) {
    socket = new WebSocket(url, {
      headers: { cookie: `realtime_key=${key}` },
      perMessageDeflate: false,
    });
    return socket;
  }
  const client = connect({
    connectionId: id,
    url: `ws://${base}/`,
    WebSocket: CookieWebSocket,
  });
  const first = firstOpen(`client view ${id}`, () => client.close());
  // Per reconnect: a push that arrives before any resume frame means the server
  // replayed nothing and did not say so. (A connection that closes before any frame,
  // e.g. an instance SIGKILLed right after the upgrade, tells nothing either way: the
  // next one presents the same positions.)
  let opens = 0;
  let resumed = false;
  let flagged = false;
  const noResume = () => {
    if (resumed || flagged || opens < 2) return;
    flagged = true;
    hooks.onNoResume();
  };
  let open = false;
  client.onState((state) => {
    if (state === 'open') {
      opens++;
      open = true;
      resumed = false;
      flagged = false;
      first.opened();
      hooks.onOpen();
    } else if (state === 'reconnecting' || state === 'closed') {
      if (open) hooks.onClose();
      open = false;
    }
  });
  client.onResume((resume) => {
    resumed = true;
    hooks.onResume(resume);
  });
  client.on(channel, (payload) => {
    noResume();
    hooks.onMessage(payload.seq, payload.t);
  });
  await first.promise;
  return {
    isOpen: () => client.state === 'open',
    // `_socket`: the `ws` instance's net.Socket (private, stable across ws 8.x).
    drop: () => socket?._socket?.destroy(),
    /** The end of the run: a live reconnect without a resume frame counts too. */
    settle: () => {
      if (open) noResume();
      resumed = true;
    },
    close: () => client.close(),
  };
}

export async function openSocketIo(base, hooks) {
  const socket = io(`http://${base}`, {
    transports: ['websocket'],
    forceNew: true,
  });
  const first = firstOpen('socket.io client', () => socket.disconnect());
  let opens = 0;
  socket.on('connect', () => {
    opens++;
    first.opened();
    hooks.onOpen();
    if (opens > 1)
      hooks.onResume({
        recovered: socket.recovered,
        failed: socket.recovered ? {} : { bench: 'not_recovered' },
      });
  });
  socket.on('disconnect', () => hooks.onClose());
  socket.on('m', (payload) => hooks.onMessage(payload.seq, payload.t));
  await first.promise;
  return {
    isOpen: () => socket.connected,
    // engine.io-client's websocket transport holds a `ws` instance in `ws`.
    drop: () => socket.io.engine?.transport?.ws?._socket?.destroy(),
    settle: () => {},
    close: () => socket.disconnect(),
  };
}
