import type { ExternalContextCreator, ModuleRef } from '@nestjs/core';
import { RealtimeWsAdapter } from './realtime-ws.adapter';

interface IoAdapterConfig {
  getIoAdapter(): unknown;
  setIoAdapter(adapter: unknown): void;
}

/**
 * Without a WebSocket adapter Nest looks for @nestjs/platform-socket.io and exits the
 * process when it is missing. When the app has set none by the time the module is
 * created, the module installs RealtimeWsAdapter itself; `app.useWebSocketAdapter(...)`
 * called later (in main.ts) still replaces it. The app config is reached through the
 * container the shared ExternalContextCreator keeps; if a Nest version hides it, nothing
 * is installed and the explicit line in main.ts is needed, as documented.
 */
export function installDefaultAdapter(
  creator: ExternalContextCreator,
  moduleRef: ModuleRef,
): void {
  const config = (
    creator as unknown as {
      container?: { applicationConfig?: Partial<IoAdapterConfig> };
    }
  ).container?.applicationConfig;
  if (
    typeof config?.getIoAdapter !== 'function' ||
    typeof config.setIoAdapter !== 'function'
  )
    return;
  if (!config.getIoAdapter())
    config.setIoAdapter(new RealtimeWsAdapter(moduleRef as never));
}
