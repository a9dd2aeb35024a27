import { offsetPushFrame, resumeFrame } from '../protocol/resume';
import type { ResumePlan } from '../registry/realtime-registry';
import type { RealtimeConnection } from './realtime-connection';
import type { Frame } from './outbound-frame';

// How a connection resumes (README "Delivery guarantees"): its live pushes on the
// resuming channels are held while the registry works out what it missed; then the
// resume frame, the replay, and the held pushes the replay did not already cover, in
// that order; then live again. The first resume of a connection also holds every
// other frame (replies, targeted pushes), so the resume frame is the first one.

/** Starts holding `channels` (all of them, and everything else too, when `opening`). */
export function holdForResume(
  connection: RealtimeConnection,
  channels: Iterable<string>,
  opening: boolean,
): void {
  if (opening) connection.opening = [];
  const resuming = (connection.resuming ??= new Map());
  for (const channel of channels)
    if (!resuming.has(channel)) resuming.set(channel, []);
}

/**
 * Sends what `plan` says for `channels` and lets them go live. The first resume
 * writes past the frames it held and then releases them; a later one goes through the
 * connection's send path (behind the first resume frame, when that is not out yet).
 */
export function finishResume(
  connection: RealtimeConnection,
  plan: ResumePlan,
  channels: readonly string[],
  opening: boolean,
): void {
  connection.corked(() => writeResume(connection, plan, channels, opening));
}

function writeResume(
  connection: RealtimeConnection,
  plan: ResumePlan,
  channels: readonly string[],
  opening: boolean,
): void {
  const send = opening
    ? (frame: Frame) => connection.write(frame)
    : (frame: Frame) => connection.send(frame);
  send(resumeFrame(plan.replay.length, plan.epochs, plan.failed));
  for (const push of plan.replay)
    send(offsetPushFrame(push.channel, push.json, push.offset));
  const resuming = connection.resuming;
  for (const channel of channels) {
    const held = resuming?.get(channel);
    if (held === undefined) continue;
    resuming?.delete(channel);
    const epoch = plan.epochs[channel];
    const head = plan.heads[channel] ?? 0;
    for (const push of held) {
      // Already in the plan (replayed, or before where the replay starts).
      if (
        push.offset !== undefined &&
        push.epoch === epoch &&
        push.offset <= head
      )
        continue;
      send(push.frame);
    }
  }
  if (resuming?.size === 0) connection.resuming = undefined;
  const lagging = plan.lagging;
  if (lagging)
    for (const channel in lagging) {
      const epoch = plan.epochs[channel];
      if (epoch === undefined) continue;
      (connection.floors ??= new Map()).set(channel, {
        epoch,
        offset: lagging[channel],
      });
    }
  if (opening) {
    const waiting = connection.opening ?? [];
    connection.opening = undefined;
    for (const frame of waiting) connection.write(frame);
  }
}
