import type { HttpAdapterHost } from '@nestjs/core';
import { TRUST_NONE, type TrustProxy } from '../identity/client-address';

/**
 * The app's own trust-proxy setting (Express `app.set('trust proxy', …)`), read at each
 * use so a setting made in main.ts after the module booted applies.
 */
export function platformTrust(host: HttpAdapterHost | undefined): TrustProxy {
  const adapter = host?.httpAdapter;
  if (!adapter || adapter.getType?.() !== 'express') return TRUST_NONE;
  const app = adapter.getInstance() as { get?(setting: string): unknown };
  const compiled = app.get?.('trust proxy fn');
  return typeof compiled === 'function' ? (compiled as TrustProxy) : TRUST_NONE;
}
