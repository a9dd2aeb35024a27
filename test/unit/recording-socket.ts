/** A stand-in for a `ws` socket in unit tests of the gateway: it records what it was sent. */
export class RecordingSocket {
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  send(frame: Buffer | string): void {
    this.sent.push(frame.toString());
  }
  close(code: number): void {
    this.closedWith = code;
    this.readyState = 2;
  }
  terminate(): void {
    this.readyState = 3;
  }
}
