import { RealtimeError } from './exceptions/realtime.error';
import {
  CHANNEL_TOO_LONG,
  CHANNEL_WILDCARD,
  INVALID_CHANNEL,
  NO_CHANNELS,
} from './realtime.messages';

/** Arguments accepted where README "API" takes `...channels`: strings or arrays of strings. */
export type ChannelArgs = ReadonlyArray<string | readonly string[]>;

/**
 * Checks one name (README "Channels and wildcards"): a non-empty string of at most `maxLength` characters,
 * without `*` unless it is a `pushMatching` pattern. A name built from user input can
 * therefore never fan out by accident.
 */
export function checkChannel(
  channel: unknown,
  maxLength: number,
  pattern = false,
): string {
  if (typeof channel !== 'string' || channel.length === 0)
    throw new RealtimeError('invalid_channel', INVALID_CHANNEL);
  if (channel.length > maxLength)
    throw new RealtimeError('invalid_channel', CHANNEL_TOO_LONG(maxLength));
  if (!pattern && channel.includes('*'))
    throw new RealtimeError('invalid_channel', CHANNEL_WILDCARD);
  return channel;
}

/** Flattens and checks channel arguments; throws `no_channels` / `invalid_channel`. */
export function flattenChannels(
  args: ChannelArgs,
  maxLength: number,
  patterns = false,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (Array.isArray(arg)) {
      for (let j = 0; j < arg.length; j++)
        out.push(checkChannel(arg[j], maxLength, patterns));
    } else {
      out.push(checkChannel(arg, maxLength, patterns));
    }
  }
  if (out.length === 0) throw new RealtimeError('no_channels', NO_CHANNELS);
  return out;
}

export function isPattern(name: string): boolean {
  return name.includes('*');
}

/**
 * A `pushMatching` pattern: `*` matches any run of characters except `;` (Pakyow
 * semantics). Matching never backtracks: each `;`-separated segment is a prefix, a
 * suffix and literal pieces found left to right, so it is linear in the name's length.
 */
export class ChannelPattern {
  /** Per `;`-separated segment, its literal pieces between the `*`s. */
  private readonly segments: readonly (readonly string[])[];

  constructor(readonly source: string) {
    this.segments = source.split(';').map((segment) => segment.split('*'));
  }

  matches(name: string): boolean {
    const segments = this.segments;
    let from = 0;
    for (let i = 0; i < segments.length; i++) {
      let to = name.indexOf(';', from);
      if (i === segments.length - 1) {
        if (to !== -1) return false;
        to = name.length;
      } else if (to === -1) return false;
      if (!piecesMatch(segments[i], name, from, to)) return false;
      from = to + 1;
    }
    return true;
  }
}

/** Whether `name[start, end)` (no `;` in it) matches the pieces of one segment. */
function piecesMatch(
  pieces: readonly string[],
  name: string,
  start: number,
  end: number,
): boolean {
  const first = pieces[0];
  if (pieces.length === 1)
    return end - start === first.length && name.startsWith(first, start);
  const last = pieces[pieces.length - 1];
  const limit = end - last.length;
  if (
    limit - start < first.length ||
    !name.startsWith(first, start) ||
    !name.startsWith(last, limit)
  )
    return false;
  let at = start + first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i];
    if (piece.length === 0) continue;
    // The leftmost occurrence is always the best choice: a later one leaves less room.
    const found = name.indexOf(piece, at);
    if (found === -1 || found + piece.length > limit) return false;
    at = found + piece.length;
  }
  return true;
}
