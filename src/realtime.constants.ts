/** Injection token of the validated module options. */
export const REALTIME_OPTIONS = Symbol('nestjs-realtime:options');
/** Injection token of the raw options given to `forRoot` / returned by `forRootAsync`. */
export const REALTIME_MODULE_OPTIONS = Symbol('nestjs-realtime:module-options');
/** Injection token of this app instance's id (events$, stats, Redis acks). */
export const REALTIME_INSTANCE_ID = Symbol('nestjs-realtime:instance-id');
/** Injection token of the registry in use (memory or redis). */
export const REALTIME_REGISTRY = Symbol('nestjs-realtime:registry');

/** Marks the gateway options of our own gateway, so the adapter leaves user gateways alone. */
export const REALTIME_GATEWAY_MARKER = '__nestjsRealtime';

/** Request property holding the service of the app that handles the request. */
export const kRealtimeService = Symbol.for('nestjs-realtime.service');
/** Request property caching the request's RealtimeSocket. */
export const kRealtimeSocket = Symbol.for('nestjs-realtime.socket');
/** WebSocket property pointing at its RealtimeConnection (marks our sockets). */
export const kConnection = Symbol.for('nestjs-realtime.connection');
/** Request property holding the handshake result of an upgrade request. */
export const kHandshake = Symbol.for('nestjs-realtime.handshake');

export const CONNECTION_ID_PARAM = 'socket_connection_id';
export const CONNECTION_ID_HEADER = 'x-socket-connection-id';
export const SOCKET_KEY_PARAM = 'socket_key';
export const SOCKET_KEY_HEADER = 'x-socket-key';
export const BODY_ATTRIBUTE = 'data-socket-connection-id';
