// The names a client and the server agree on (README "Channels and wildcards"). Import-free: the
// server, the browser client, the testing entry and the tests all read them from here.

/** Query parameter (upgrade and HTTP requests) and body field carrying the connection id. */
export const CONNECTION_ID_PARAM = 'socket_connection_id';
/** Header carrying the connection id on HTTP requests. */
export const CONNECTION_ID_HEADER = 'x-socket-connection-id';
/** Query parameter carrying the socket key, read on the upgrade request only. */
export const SOCKET_KEY_PARAM = 'socket_key';
/** Header carrying the socket key (non-browser clients). */
export const SOCKET_KEY_HEADER = 'x-socket-key';
/** Default name of the HttpOnly cookie holding the socket key. */
export const KEY_COOKIE = 'realtime_key';
/** The `<body>` attribute a rendered page carries its connection id in. */
export const BODY_ATTRIBUTE = 'data-socket-connection-id';
/** Default WebSocket path (as in the Pakyow client snippet). */
export const DEFAULT_PATH = '/';

/** WebSocket `readyState` of an open socket (the same number in browsers and `ws`). */
export const OPEN = 1;
