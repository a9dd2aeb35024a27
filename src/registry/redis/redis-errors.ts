import { RealtimeError } from '../../exceptions/realtime.error';
import {
  REGISTRY_REFUSED,
  REGISTRY_UNAVAILABLE,
  REGISTRY_UNCONFIRMED,
  REVOKED_VIEW,
  TOO_MANY_CHANNELS,
} from '../../realtime.messages';
import { REVOKED_REPLY, TOO_MANY_CHANNELS_REPLY } from './redis-scripts';

/*
 * Two codes for two different failures (README "Scaling with Redis"):
 * - `registry_unavailable`: Redis could not be reached, or did not answer, within
 *   publishTimeout (connection down, command timeout, a holder that cannot confirm) —
 *   or answered with a transient state that a retry outlives (LOADING, CLUSTERDOWN…).
 * - `registry_error`: Redis answered and refused the command (an error reply such as
 *   OOM, NOPERM, WRONGTYPE). Retrying as-is will not help, so the message carries
 *   Redis's own text instead of pretending Redis was unreachable.
 */

/** Error replies that describe a passing state of the server, not a refusal. */
const TRANSIENT_REPLY =
  /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|NOREPLICAS)\b/;

export const unavailable = (): RealtimeError =>
  new RealtimeError('registry_unavailable', REGISTRY_UNAVAILABLE);

export const revokedView = (): RealtimeError =>
  new RealtimeError('revoked', REVOKED_VIEW);

export const unconfirmed = (): RealtimeError =>
  new RealtimeError('registry_unavailable', REGISTRY_UNCONFIRMED);

/** An error reply of Redis (ioredis and redis-errors name them all `ReplyError`). */
export function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/** What a failed Redis command means for the caller, as a RealtimeError. */
export function registryError(
  error: unknown,
  maxChannelsPerView?: number,
): RealtimeError {
  if (error instanceof RealtimeError) return error;
  if (!isReplyError(error) || TRANSIENT_REPLY.test(error.message))
    return unavailable();
  if (error.message.replace(/^ERR /, '').startsWith(REVOKED_REPLY))
    return revokedView();
  if (
    maxChannelsPerView !== undefined &&
    // Redis puts "ERR " before a script's error reply unless it starts with a code.
    error.message.replace(/^ERR /, '').startsWith(TOO_MANY_CHANNELS_REPLY)
  )
    return new RealtimeError(
      'too_many_channels',
      TOO_MANY_CHANNELS(maxChannelsPerView),
    );
  return new RealtimeError('registry_error', REGISTRY_REFUSED(error.message));
}

/** `.catch(toVoid)`: a failure that changes nothing (the next interval or recovery retries). */
export function toVoid(): void {}

/** `.catch(fail)`: rethrows any failure as the RealtimeError it means. */
export function fail(error: unknown): never {
  throw registryError(error);
}
