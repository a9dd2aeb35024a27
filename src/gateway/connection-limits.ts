/**
 * `maxConnections` and `maxConnectionsPerClient` (SPEC §7): places are reserved at
 * the handshake, before any async work, and released when the handshake fails or the
 * socket closes, so concurrent handshakes cannot overshoot either cap.
 */
export class ConnectionLimits {
  private readonly perClient = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerClient: number,
  ) {}

  /** Reserves a place; tells which cap refused it otherwise. */
  reserve(clientKey: string): 'ok' | 'global_cap' | 'client_cap' {
    if (this.total >= this.maxTotal) return 'global_cap';
    const count = this.perClient.get(clientKey) ?? 0;
    if (count >= this.maxPerClient) return 'client_cap';
    this.perClient.set(clientKey, count + 1);
    this.total++;
    return 'ok';
  }

  release(clientKey: string): void {
    const count = this.perClient.get(clientKey);
    if (count === undefined) return;
    if (count <= 1) this.perClient.delete(clientKey);
    else this.perClient.set(clientKey, count - 1);
    this.total--;
  }
}
