/** Error codes of README "API" (and the extra input-validation codes of this package). */
export type RealtimeErrorCode =
  | 'no_channels'
  | 'invalid_channel'
  | 'invalid_message'
  | 'invalid_digest'
  | 'registry_unavailable'
  | 'registry_error'
  | 'too_many_channels'
  | 'bad_request'
  | 'unknown_action'
  | 'unauthorized'
  | 'rate_limited'
  | 'handler_error'
  | 'history_off'
  | 'invalid_user'
  | 'revoked'
  | (string & {});

/** An error with a stable machine-readable `code`, passed on to clients in error frames. */
export class RealtimeError extends Error {
  constructor(
    readonly code: RealtimeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RealtimeError';
  }
}
