// Frame encoding and decoding (README "Wire protocol"): compact JSON, keys in a fixed order.

/** The id of a request as the client sent it; `null` when it had no usable one. */
export type RequestId = string | number | null;

/** A request frame: the whole object the client sent (README "Wire protocol"). */
export interface RequestFrame {
  id: string | number;
  action: string;
  [field: string]: unknown;
}

/** Why a frame is not a request; each is answered with `bad_request` (README "Wire protocol"). */
export const FrameProblem = {
  Binary: 'binary frames are not supported; send JSON text',
  NotJson: 'the frame is not valid JSON',
  NotObject: 'the frame must be a JSON object',
  BadId: '"id" must be a string or a finite number',
  BadAction: '"action" must be a non-empty string',
} as const;

export type ParsedRequest =
  | { readonly ok: true; readonly request: RequestFrame }
  | { readonly ok: false; readonly id: RequestId; readonly problem: string };

function isId(value: unknown): value is string | number {
  return (
    typeof value === 'string' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** Reads a text frame as a request, or says why it is not one. */
export function parseRequest(text: string): ParsedRequest {
  let frame: unknown;
  try {
    frame = JSON.parse(text);
  } catch {
    return { ok: false, id: null, problem: FrameProblem.NotJson };
  }
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
    return { ok: false, id: null, problem: FrameProblem.NotObject };
  const { id, action } = frame as Record<string, unknown>;
  if (!isId(id)) return { ok: false, id: null, problem: FrameProblem.BadId };
  if (typeof action !== 'string' || action.length === 0)
    return { ok: false, id, problem: FrameProblem.BadAction };
  return { ok: true, request: frame as RequestFrame };
}

/** The id of a frame, when it has a usable one (for refusing a frame it did not parse). */
export function requestIdOf(text: string): RequestId {
  try {
    const id = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return isId(id) ? id : null;
  } catch {
    return null;
  }
}

/**
 * `{"channel":…,"payload":…}` from an already serialized payload: built once per push
 * and channel, then written to every connection (README "Registries and guarantees" 5).
 */
export function pushFrame(channel: string, json: string): string {
  return '{"channel":' + JSON.stringify(channel) + ',"payload":' + json + '}';
}

export function replyFrame(id: RequestId, payload: unknown): string {
  return (
    '{"id":' +
    JSON.stringify(id) +
    ',"payload":' +
    (JSON.stringify(payload) ?? 'null') +
    '}'
  );
}

export function errorFrame(
  id: RequestId,
  code: string,
  message: string,
  status?: number,
): string {
  const error: { code: string; message: string; status?: number } = {
    code,
    message,
  };
  if (status !== undefined) error.status = status;
  return JSON.stringify({ id, error });
}

/** `{"channel":…,"presence":{"join"|"leave":{"user":…,"info":…}}}` (README "Users and presence"); `info` is JSON text. */
export function presenceFrame(
  channel: string,
  change: 'join' | 'leave',
  user: string,
  info: string | undefined,
): string {
  return (
    '{"channel":' +
    JSON.stringify(channel) +
    ',"presence":{"' +
    change +
    '":{"user":' +
    JSON.stringify(user) +
    ',"info":' +
    (info ?? 'null') +
    '}}}'
  );
}
