import type { IncomingMessage } from 'node:http';

/** The HTTP platform's trust-proxy test: is the hop-th address (0 = the socket's peer) a trusted proxy? */
export type TrustProxy = (address: string, hop: number) => boolean;

export const TRUST_NONE: TrustProxy = () => false;

/**
 * The client's address as `req.ip` gives it on the same HTTP request (README "Security and limits"): the
 * socket's peer, then the `X-Forwarded-For` entries from the right, each taken only
 * while the one before it is a trusted proxy (the algorithm of Express's proxy-addr).
 */
export function clientAddress(
  req: Pick<IncomingMessage, 'headers' | 'socket'>,
  trust: TrustProxy,
): string | undefined {
  const peer = req.socket.remoteAddress;
  if (peer === undefined || !trust(peer, 0)) return peer;
  const header = req.headers['x-forwarded-for'];
  const list = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  let address = peer;
  for (let hop = 1; list.length > 0; hop++) {
    address = list.pop() as string;
    if (!trust(address, hop)) break;
  }
  return address;
}
