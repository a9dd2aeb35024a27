// The no-gap part of the wire (README "No gap"): the `since` query parameter a client
// presents on reconnect, the resume frame, and push frames with an offset. Import-free,
// and browser-safe (TextEncoder, btoa): the server and the browser client both use it.

/** Upgrade query parameter carrying the client's last position per channel. */
export const SINCE_PARAM = 'since';

/** A position in a channel's history: its epoch, and the last offset seen there (0 = none yet). */
export type Position = readonly [epoch: string, offset: number];

/** The last position per channel, as the client presents it. */
export type Positions = Readonly<Record<string, Position>>;

/** Why a channel could not be recovered. */
export type ResumeFailure = 'limit' | 'expired' | 'epoch' | 'unknown_view';

/** The longest epoch accepted in `since` (the server makes them far shorter). */
const MAX_EPOCH = 64;

function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary)
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** `since` for the upgrade URL: base64url of `{"<channel>":["<epoch>",<offset>]}`. */
export function encodeSince(positions: Positions): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(positions)));
}

export type DecodedSince =
  | { readonly ok: true; readonly positions: Positions }
  | { readonly ok: false; readonly problem: string };

/**
 * Reads a presented `since`, or says why it is not one. Only the shape is checked here
 * (whether the channels belong to the view is the server's business); `maxLength`
 * bounds the text before anything is decoded.
 */
export function decodeSince(text: string, maxLength: number): DecodedSince {
  if (text.length > maxLength)
    return { ok: false, problem: `longer than ${maxLength} characters` };
  if (!/^[A-Za-z0-9_-]*$/.test(text))
    return { ok: false, problem: 'not base64url' };
  let value: unknown;
  try {
    value = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(text)),
    );
  } catch {
    return { ok: false, problem: 'not base64url JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, problem: 'not an object of channels' };
  const positions: Record<string, Position> = {};
  for (const [channel, position] of Object.entries(value)) {
    if (
      !Array.isArray(position) ||
      position.length !== 2 ||
      typeof position[0] !== 'string' ||
      position[0].length === 0 ||
      position[0].length > MAX_EPOCH ||
      !Number.isSafeInteger(position[1]) ||
      (position[1] as number) < 0
    )
      return {
        ok: false,
        problem: `the position of ${JSON.stringify(channel.slice(0, 100))} must be ["<epoch>", <offset ≥ 0>]`,
      };
    positions[channel] = [position[0], position[1] as number];
  }
  return { ok: true, positions };
}

/**
 * `{"resume":{"recovered":…,"replayed":…,"epoch":{…},"failed":{…}}}`, keys in this order;
 * `recovered` is true only when nothing failed.
 */
export function resumeFrame(
  replayed: number,
  epochs: Readonly<Record<string, string>>,
  failed: Readonly<Record<string, ResumeFailure>>,
): string {
  let recovered = true;
  for (const _ in failed) {
    recovered = false;
    break;
  }
  return (
    '{"resume":{"recovered":' +
    recovered +
    ',"replayed":' +
    replayed +
    ',"epoch":' +
    JSON.stringify(epochs) +
    ',"failed":' +
    JSON.stringify(failed) +
    '}}'
  );
}

/** `{"channel":…,"payload":…,"offset":n}` from an already serialized payload. */
export function offsetPushFrame(
  channel: string,
  json: string,
  offset: number,
): string {
  return (
    '{"channel":' +
    JSON.stringify(channel) +
    ',"payload":' +
    json +
    ',"offset":' +
    offset +
    '}'
  );
}
