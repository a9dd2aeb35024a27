/** A TCP socket, as far as corking goes. */
interface Corkable {
  cork(): void;
  uncork(): void;
}

/**
 * Holds what sockets write during this turn of the event loop and lets it out at its
 * end: a handshake's 101 response and the resume frame (and replay) that follow it
 * within the same turn leave in one system call instead of two or more. One
 * `setImmediate` per turn serves every socket corked in it.
 */
export class TurnCork {
  private corked: Corkable[] = [];

  hold(socket: Corkable): void {
    socket.cork();
    if (this.corked.push(socket) === 1) setImmediate(this.release);
  }

  private readonly release = (): void => {
    const corked = this.corked;
    this.corked = [];
    for (const socket of corked) socket.uncork();
  };
}
