import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/** Decides whether a cross-origin handshake is allowed. */
export type OriginPredicate = (
  origin: string,
  request: IncomingMessage,
) => boolean;

/** What the origin check reads of the options. */
export interface OriginRules {
  requireOrigin: boolean;
  trustProxy: boolean;
  /** Full origins (normalized) or a predicate. */
  allowedOrigins: OriginPredicate | ReadonlySet<string>;
}

/** Scheme of a request: TLS socket, or `X-Forwarded-Proto` when the proxy is trusted. */
export function requestScheme(
  req: IncomingMessage,
  trustProxy: boolean,
): 'http' | 'https' {
  if ((req.socket as TLSSocket | undefined)?.encrypted) return 'https';
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-proto'];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)
      ?.split(',')[0]
      ?.trim()
      .toLowerCase();
    if (first === 'https') return 'https';
  }
  return 'http';
}

/**
 * README "Security and limits": the handshake's Origin must be the app's own origin (scheme + Host) or an
 * allowed one. A missing Origin (non-browser client) passes unless `requireOrigin`.
 */
export function isOriginAllowed(
  req: IncomingMessage,
  options: OriginRules,
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return !options.requireOrigin;
  if (typeof origin !== 'string' || origin === 'null') return false;
  const host = req.headers.host;
  const normalized = origin.toLowerCase();
  if (
    host &&
    normalized ===
      `${requestScheme(req, options.trustProxy)}://${host.toLowerCase()}`
  )
    return true;
  const allowed = options.allowedOrigins;
  return typeof allowed === 'function'
    ? allowed(origin, req) === true
    : allowed.has(normalized);
}
