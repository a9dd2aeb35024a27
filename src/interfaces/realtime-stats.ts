/** Counters of one app instance since boot, from `RealtimeService.stats()`. */
export interface RealtimeStats {
  instanceId: string;
  /** The registry in use, and whether it can accept pushes right now (Redis connected and recovered). */
  registry: { kind: string; ready: boolean };
  /** Open WebSocket connections, inert ones included. */
  connections: number;
  /** Open connections whose id/key pair was not issued: they receive nothing. */
  inertConnections: number;
  /** Channels with at least one local subscriber. */
  channels: number;
  /** Request frames received. */
  messagesIn: number;
  /** Frames written to sockets: pushes, replies and errors. */
  messagesOut: number;
  /** Push frames not written because their connection was closing. */
  framesDropped: number;
  /** Connections closed with 4000 because their outbound buffer was full. */
  slowConsumerCloses: number;
  /** Sockets closed, by reason: `normal`, `going_away`, `shutdown`, `rate_limited`, `slow_consumer`, `heartbeat_timeout`, `message_too_big`, `invalid_payload`, `revoked`, `abnormal`, … */
  closes: Record<string, number>;
  /** Handshakes refused, by reason. */
  rejections: Record<string, number>;
  /**
   * Resume frames sent (README "Delivery guarantees"): how many said `recovered: true`,
   * and per reason how many named it in `failed` (all zero with `history: false`).
   */
  history: { recovered: number; failed: Record<string, number> };
  /** Presence transitions this instance heard (README "Users and presence"): every join and leave of any channel, on any instance, once. */
  presence: { joins: number; leaves: number };
}
