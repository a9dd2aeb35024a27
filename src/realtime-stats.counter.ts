/** Mutable counters shared by the gateway pieces of one app; read through `RealtimeService.stats()`. */
export class RealtimeStatsCounter {
  messagesIn = 0;
  messagesOut = 0;
  framesDropped = 0;
  slowConsumerCloses = 0;
  readonly rejections: Record<string, number> = {};
  readonly closes: Record<string, number> = {};

  reject(reason: string): void {
    this.rejections[reason] = (this.rejections[reason] ?? 0) + 1;
  }

  closed(reason: string): void {
    this.closes[reason] = (this.closes[reason] ?? 0) + 1;
  }
}
