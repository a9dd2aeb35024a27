/**
 * Frames a socket received, awaited one at a time with a timeout; ends when the socket
 * closes. Shared by the testing module's client and the package's own test client.
 */
export class FrameQueue {
  /** Raw text frames received and not taken yet. */
  readonly items: string[] = [];
  /** The close code once the socket closed. */
  closeCode: number | undefined;
  private waiters: Array<() => void> = [];

  push(frame: string): void {
    this.items.push(frame);
    this.wake();
  }

  end(code: number): void {
    this.closeCode = code;
    this.wake();
  }

  /** The first frame matching `accept` (default: the next one), removed from the queue. */
  async take(
    timeout: number,
    accept?: (frame: string) => boolean,
  ): Promise<string> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const index = accept
        ? this.items.findIndex(accept)
        : this.items.length > 0
          ? 0
          : -1;
      if (index !== -1) return this.items.splice(index, 1)[0];
      if (this.closeCode !== undefined)
        throw new Error(
          `the socket closed (${this.closeCode}) while waiting for a frame`,
        );
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
