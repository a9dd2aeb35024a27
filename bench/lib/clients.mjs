// How one bench client connects to each target, with one of three client stacks:
//   raw      (default) the minimal RFC 6455 client of raw-ws.mjs for every target; the
//            seq and timestamp are read from the frame bytes, and the first frame of
//            each client in each phase is also fully JSON-parsed and checked;
//   ws       the `ws` library for every target, every frame JSON-parsed;
//   official `ws` for ws/nestjs-realtime, socket.io-client for Socket.IO.
// Every path ends in `client.deliver(seq, t)`.
import { Agent, get } from 'node:http';
import { io } from 'socket.io-client';
import { WebSocket } from 'ws';
import { openRawWebSocket } from './raw-ws.mjs';

const CONNECT_TIMEOUT = 15_000;
const ID_ATTRIBUTE = /data-socket-connection-id="([^"]+)"/;
const KEY_COOKIE = /^realtime_key=(.+)$/;
const SEQ = Buffer.from('"seq":');
const T = Buffer.from('"t":');
const FRAME_PREFIX = '{"channel":"bench","payload":{"seq":';
const SIO_PREFIX = '42["m",{"seq":';
/** With history on (the default), every nestjs-realtime connection starts with a resume frame. */
const RESUME_PREFIX = '{"resume":';
const RESUME_BYTES = Buffer.from(RESUME_PREFIX);
/** With `presence` on the channel, joins and leaves: `{"channel":"<ch>","presence":{"join"|"leave":…}}`. */
const presencePrefix = (channel) =>
  `{"channel":${JSON.stringify(channel)},"presence":{"`;

/** One keep-alive HTTP agent per worker for page renders (a browser reuses its connection too). */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function withTimeout(promise, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what} timed out`)),
        CONNECT_TIMEOUT,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** `seq` and `t` of a `{"seq":…,"t":…,…}` payload inside a frame, without parsing the JSON. */
function deliverFromBytes(client, buf, start, end) {
  let i = buf.indexOf(SEQ, start);
  if (i < 0 || i >= end)
    throw new Error(
      `client ${client.index}: a frame without seq: ${buf.toString('utf8', start, end).slice(0, 80)}`,
    );
  i += SEQ.length;
  let seq = 0;
  for (let c = buf[i]; c >= 48 && c <= 57; c = buf[++i])
    seq = seq * 10 + c - 48;
  let j = buf.indexOf(T, i) + T.length;
  let k = j;
  while (k < end && buf[k] !== 44 && buf[k] !== 125) k++;
  if (client.mustCheck) client.check(buf.toString('utf8', start, end), seq);
  client.deliver(seq, Number(buf.toString('latin1', j, k)));
}

/** The full decode of one frame, for the check of the first frame per phase and for `ws` mode. */
export function decodeFrame(target, text) {
  if (target === 'socket.io') {
    if (!text.startsWith(SIO_PREFIX))
      throw new Error(`unexpected Socket.IO frame ${text.slice(0, 80)}`);
    const [event, payload] = JSON.parse(text.slice(2));
    if (event !== 'm') throw new Error(`unexpected event ${event}`);
    return payload;
  }
  if (!text.startsWith(FRAME_PREFIX))
    throw new Error(`unexpected frame ${text.slice(0, 80)}`);
  return JSON.parse(text).payload;
}

/**
 * `GET /sub/<channel>` as a browser renders the page: the view's id and its key cookie.
 * Like a browser, it retries once when a reused keep-alive connection was closed by the
 * server as the request went out (Node's server closes idle ones after 5 s).
 */
export function pageRender(url, retried = false) {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200)
          return reject(new Error(`GET ${url}: HTTP ${res.statusCode}`));
        const id = ID_ATTRIBUTE.exec(body)?.[1];
        const key = (res.headers['set-cookie'] ?? [])
          .map((line) => KEY_COOKIE.exec(line.split(';')[0])?.[1])
          .find(Boolean);
        if (!id || !key)
          return reject(new Error(`GET ${url}: no connection id or key`));
        resolve({ id, key });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      if (!retried && req.reusedSocket && error.code === 'ECONNRESET')
        resolve(pageRender(url, true));
      else reject(new Error(`GET ${url}: ${error.message}`, { cause: error }));
    });
  });
}

/** Opens a socket with the chosen stack; `onText(text | buf, start, end)` per message. */
async function open(stack, url, headers, client, onText) {
  if (stack === 'raw') {
    await openRawWebSocket(url, headers, {
      onText,
      onClose: (code) => client.onClose(code),
      onOpen: (ws) => (client.ws = ws),
    }).catch((error) => {
      throw new Error(`upgrade ${url}: ${error.message}`, { cause: error });
    });
    return;
  }
  await new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    client.ws = ws;
    ws.on('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
    ws.once('error', reject);
    ws.on('close', (code) => client.onClose(code));
    ws.on('message', (data) => onText(data.toString()));
    ws.once('open', resolve);
  });
}

const startsWith = (buf, start, end, prefix) =>
  end - start >= prefix.length &&
  buf.compare(prefix, 0, prefix.length, start, start + prefix.length) === 0;

/** 'join' or 'leave' from the letter after the presence prefix. */
const presenceKind = (c) => (c === 'j' || c === 106 ? 'join' : 'leave');
const USER = '"user":"';
/** The user of a presence frame (bench users are `u<digits>`: no escapes). */
function presenceUser(text, from) {
  const i = text.indexOf(USER, from);
  if (i < 0) return undefined;
  const start = i + USER.length;
  return text.slice(start, text.indexOf('"', start));
}

function frameHandler(stack, target, client, channel = 'bench') {
  const presence = presencePrefix(channel);
  if (stack === 'raw') {
    const presenceBytes = Buffer.from(presence);
    return (buf, start, end) => {
      try {
        if (startsWith(buf, start, end, RESUME_BYTES)) {
          client.resumes = (client.resumes ?? 0) + 1;
          return;
        }
        if (startsWith(buf, start, end, presenceBytes)) {
          const at = start + presenceBytes.length;
          client.onPresence?.(presenceKind(buf[at]), () =>
            presenceUser(buf.toString('utf8', at, end), 0),
          );
          return;
        }
        deliverFromBytes(client, buf, start, end);
      } catch (error) {
        client.malformed(error);
      }
    };
  }
  return (text) => {
    try {
      if (text.startsWith(RESUME_PREFIX)) {
        client.resumes = (client.resumes ?? 0) + 1;
        return;
      }
      if (text.startsWith(presence)) {
        client.onPresence?.(presenceKind(text[presence.length]), () =>
          presenceUser(text, presence.length),
        );
        return;
      }
      const payload = decodeFrame(target, text);
      client.deliver(payload.seq, payload.t);
    } catch (error) {
      client.malformed(error);
    }
  };
}

/** Socket.IO's Engine.IO v4 framing: open `0` → connect `40`, ping `2` → pong `3`, events `42[...]`. */
function socketIoHandler(stack, client, resolve, reject) {
  const onEvent = frameHandler(stack, 'socket.io', client);
  return (data, start = 0, end = data.length) => {
    const c0 = stack === 'raw' ? data[start] : data.charCodeAt(0);
    const c1 =
      end - start > 1
        ? stack === 'raw'
          ? data[start + 1]
          : data.charCodeAt(1)
        : -1;
    if (c0 === 52 && c1 === 50) return onEvent(data, start, end); // "42"
    if (c0 === 50 && c1 === -1) return client.ws.send('3'); // "2"
    if (c0 === 48) return client.ws.send('40'); // "0{…}"
    if (c0 === 52 && c1 === 48) return resolve(); // "40{…}"
    if (c0 === 52 && c1 === 52)
      return reject(new Error('Socket.IO connect error'));
  };
}

function connectSocketIoOfficial(client, base) {
  return new Promise((resolve, reject) => {
    const socket = io(`http://${base}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    client.ws = {
      close: () => socket.disconnect(),
      terminate: () => socket.disconnect(),
    };
    socket.on('m', (payload) => client.deliver(payload.seq, payload.t));
    socket.once('connect_error', reject);
    socket.once('connect', resolve);
    socket.on('disconnect', (reason) => client.onClose(reason));
  });
}

/** Closes the idle keep-alive connections of the page renders (they are not WebSocket memory). */
export function releasePageConnections() {
  agent.destroy();
}

/** The socket of a nestjs-realtime view: its id in the URL, its key in the cookie. */
function openView(wire, target, client, { id, key, base, channel }) {
  return open(
    wire,
    `ws://${base}/?socket_connection_id=${encodeURIComponent(id)}`,
    { cookie: `realtime_key=${key}` },
    client,
    frameHandler(wire, target, client, channel),
  );
}

/**
 * Opens `client`'s socket again for the view an earlier connect left on `from` (its
 * `view`): nestjs-realtime with the view's id and key and no page render, as its
 * browser client reconnects; the other targets have nothing to resume: a new handshake.
 */
export function reconnectClient(target, client, from, stack) {
  const { base, channel } = from.view;
  if (target !== 'nestjs-realtime')
    return connectClient(target, client, base, channel, stack);
  client.view = from.view;
  return withTimeout(
    openView(stack === 'raw' ? 'raw' : 'ws', target, client, client.view),
    `reconnect to ${target} at ${base}`,
  );
}

/**
 * Connects `client` to `base` (host:port) for `target` with the `stack` of client code;
 * `user` (nestjs-realtime): the page render identifies the view as that user.
 */
export function connectClient(target, client, base, channel, stack, user) {
  const wire = stack === 'raw' ? 'raw' : 'ws';
  let connect;
  client.view = { base, channel };
  if (target === 'ws') {
    connect = open(
      wire,
      `ws://${base}/`,
      {},
      client,
      frameHandler(wire, target, client),
    );
  } else if (target === 'nestjs-realtime') {
    // The page render subscribes this client view; the socket then carries its id and key.
    const query = user ? `?user=${encodeURIComponent(user)}` : '';
    connect = pageRender(
      `http://${base}/sub/${encodeURIComponent(channel)}${query}`,
    ).then(({ id, key }) => {
      client.view = { id, key, base, channel };
      return openView(wire, target, client, client.view);
    });
  } else if (stack === 'official') {
    connect = connectSocketIoOfficial(client, base);
  } else {
    connect = new Promise((resolve, reject) => {
      open(
        wire,
        `ws://${base}/socket.io/?EIO=4&transport=websocket`,
        {},
        client,
        socketIoHandler(wire, client, resolve, reject),
      ).catch(reject);
    });
  }
  return withTimeout(connect, `connect to ${target} at ${base}`);
}
