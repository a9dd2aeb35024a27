/** A TCP socket, as far as corking goes. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** The most a connection holds corked within one turn (or half of `maxBufferedBytes`, when less). */
export const COALESCE_BYTES = 64 * 1024;

/**
 * Holds what chosen sockets write during this turn of the event loop and lets it out
 * at its end, in one system call per socket instead of one per frame: a handshake's
 * 101 response with the resume frame written after it, and the second and later
 * frames a connection gets in one turn (several pushes of one job, a batch of pushes
 * read from Redis at once). One `setImmediate` per turn serves every socket of the app.
 * Turns are counted so that a connection can tell its first write of a turn (sent at
 * once, as always) from the ones after it.
 */
export class TurnCork {
  /** The most a connection holds corked within one turn before it writes it out. */
  readonly limit: number;
  private corked: Corkable[] = [];
  private current = 1;
  private ticking = false;

  /** `maxBufferedBytes`: what is held counts in a socket's backlog, so at most half of it is. */
  constructor(maxBufferedBytes = Infinity) {
    this.limit = Math.min(COALESCE_BYTES, maxBufferedBytes / 2);
  }

  /** This turn's number (positive, different in every turn that asks for it). */
  turn(): number {
    this.tick();
    return this.current;
  }

  /** Corks `socket` until the end of this turn. */
  hold(socket: Corkable): void {
    socket.cork();
    this.corked.push(socket);
    this.tick();
  }

  private tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    setImmediate(this.release);
  }

  // A socket let out early (RealtimeConnection past `limit`) is in the list once
  // per hold; an uncork with nothing corked does nothing.
  private readonly release = (): void => {
    this.ticking = false;
    this.current++;
    const corked = this.corked;
    if (corked.length === 0) return;
    this.corked = [];
    for (const socket of corked) socket.uncork();
  };
}
