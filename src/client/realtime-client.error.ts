/**
 * How a request (`call`, `send`) fails: `code` is the server's error code (README "Wire protocol":
 * `bad_request`, `unknown_action`, `unauthorized`, `rate_limited`, `handler_error`, …)
 * or one of the client's own: `not_open` (sent while the socket was not open),
 * `closed` (the socket closed before the reply), `bad_frame` (the server sent
 * something that is not a JSON object). `status` is the HTTP status the server
 * passed on for an `HttpException`.
 */
export class RealtimeClientError extends Error {
  readonly code: string;
  readonly status?: number;

  constructor(code: string, message: string, status?: number) {
    super(message);
    this.name = 'RealtimeClientError';
    this.code = code;
    if (status !== undefined) this.status = status;
  }
}
