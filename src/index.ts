export { RealtimeModule } from './realtime.module';
export type {
  RealtimeModuleAsyncOptions,
  RealtimeOptionsFactory,
} from './realtime.module';
export type {
  RateLimitOptions,
  RealtimeCookieOptions,
  RealtimeModuleOptions,
} from './options';
export type { OriginPredicate } from './identity/origin';
export { RealtimeService } from './realtime.service';
export { RealtimeHealthIndicator } from './health/realtime-health.indicator';
export type { RealtimeHealthResult } from './health/realtime-health.indicator';
export { RealtimeSocket } from './realtime-socket';
export { Socket, SocketConnectionId } from './http/socket.decorators';
export { RealtimeWsAdapter } from './gateway/realtime-ws.adapter';
export { RealtimeError } from './exceptions/realtime.error';
export type { RealtimeErrorCode } from './exceptions/realtime.error';
export { MessageHandler } from './handlers/message-handler.decorator';
export { RealtimeDigestGuard } from './handlers/digest.guard';
export type { CallRouteResponse } from './handlers/call-route.handler';
export type {
  RealtimeContext,
  RealtimeEvent,
  RealtimeMessage,
  RealtimeMessageHandler,
  RealtimeStats,
  RealtimeUpgradeRequest,
} from './interfaces';
export { REALTIME_REGISTRY } from './realtime.constants';
export type {
  PresenceChange,
  PresenceUser,
} from './presence/realtime-presence';
export type {
  ChannelHistoryRead,
  PresenceCounts,
  PresenceEntry,
  RealtimeRegistry,
  RegistryEvent,
  RegistryHistory,
  RegistryPresence,
  ReplayedPush,
  ResumePlan,
} from './registry/realtime-registry';
