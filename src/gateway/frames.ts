/** Options object reused for every push write: frames are JSON text, never binary. */
export const TEXT_FRAME = { binary: false } as const;

/**
 * `{"channel":…,"payload":…}` built from an already serialized payload: one
 * serialization per push and channel, and the same buffer is written to every
 * connection (SPEC §6.5).
 */
export function pushFrame(channel: string, json: string): Buffer {
  return Buffer.from(
    '{"channel":' + JSON.stringify(channel) + ',"payload":' + json + '}',
  );
}

export type RequestId = string | number | null;

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
