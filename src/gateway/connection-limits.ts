/** Which cap refused a handshake (README "Security and limits"); also its `stats().rejections` reason. */
export type CapRefusal = 'global_cap' | 'address_cap' | 'client_cap';

/**
 * `maxConnections`, `maxConnectionsPerAddress` and `maxConnectionsPerClient` (README "Security and limits"):
 * places are reserved at the handshake, before any async work, and released when the
 * handshake fails or the socket closes, so concurrent handshakes cannot overshoot a cap.
 * The address cap counts every socket of a client address whatever keys it presents;
 * the client cap counts the sockets of one issued key.
 */
export class ConnectionLimits {
  private readonly perAddress = new Map<string, number>();
  private readonly perKey = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
    private readonly maxPerKey: number,
  ) {}

  /** Reserves a place; tells which cap refused it otherwise. */
  reserve(address: string, key: string | undefined): 'ok' | CapRefusal {
    if (this.total >= this.maxTotal) return 'global_cap';
    if ((this.perAddress.get(address) ?? 0) >= this.maxPerAddress)
      return 'address_cap';
    if (key !== undefined && (this.perKey.get(key) ?? 0) >= this.maxPerKey)
      return 'client_cap';
    increment(this.perAddress, address);
    if (key !== undefined) increment(this.perKey, key);
    this.total++;
    return 'ok';
  }

  release(address: string, key: string | undefined): void {
    if (!decrement(this.perAddress, address)) return;
    if (key !== undefined) decrement(this.perKey, key);
    this.total--;
  }
}

function increment(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, name: string): boolean {
  const count = counts.get(name);
  if (count === undefined) return false;
  if (count <= 1) counts.delete(name);
  else counts.set(name, count - 1);
  return true;
}
