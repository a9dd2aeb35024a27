/** WebSocket close codes of README "Wire protocol": what each tells the client. */
export const CloseCode = {
  /** The client (or server) closed normally. */
  Normal: 1000,
  /** The server is shutting down: reconnect, with jitter. */
  GoingAway: 1001,
  /** Policy: a refused handshake or the rate limit exceeded; do not reconnect. */
  Policy: 1008,
  /** A frame above maxPayload. */
  TooBig: 1009,
  /** An unexpected server error. */
  ServerError: 1011,
  /** Slow consumer: the outbound backlog passed maxBufferedBytes; reconnect. */
  SlowConsumer: 4000,
  /** Revoked by `disconnect()` (the user logged out, or was banned): do not reconnect. */
  Revoked: 4001,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
