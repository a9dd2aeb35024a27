/** The codes of error frames (README "Wire protocol") and of `RealtimeError` (README "API"). */
export const ErrorCode = {
  /** Not JSON, not an object, a missing or mistyped `id`/`action`, a bad field. */
  BadRequest: 'bad_request',
  /** No handler for the action. */
  UnknownAction: 'unknown_action',
  /** An inert connection, or a guard refused. */
  Unauthorized: 'unauthorized',
  /** Over the rate limit or maxInFlight. */
  RateLimited: 'rate_limited',
  /** The handler threw. */
  HandlerError: 'handler_error',
  NoChannels: 'no_channels',
  InvalidChannel: 'invalid_channel',
  InvalidMessage: 'invalid_message',
  InvalidDigest: 'invalid_digest',
  TooManyChannels: 'too_many_channels',
  /** The registry cannot accept within publishTimeout (Redis down, a holder that cannot confirm). */
  RegistryUnavailable: 'registry_unavailable',
  /** Redis refused the command (an error reply). */
  RegistryError: 'registry_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
