export { DEFAULTS } from './option-defaults';
export { OPTIONS } from './option-schema';
export type {
  HistoryOptions,
  RateLimitOptions,
  RealtimeCookieOptions,
  RealtimeModuleOptions,
  ResolvedRealtimeOptions,
} from './option-schema';
export { resolveOptions } from './resolve-options';
