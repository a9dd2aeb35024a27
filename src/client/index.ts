export { backoffDelay } from './backoff';
export { connect } from './realtime-client';
export { RealtimeClientError } from './realtime-client.error';
export type {
  ConnectOptions,
  RealtimeCallResult,
  RealtimeClient,
  RealtimeFrame,
  RealtimeListener,
  RealtimePresenceChange,
  RealtimePresenceUser,
  RealtimeResume,
  RealtimeState,
  WebSocketConstructor,
  WebSocketLike,
} from './realtime-client.types';
