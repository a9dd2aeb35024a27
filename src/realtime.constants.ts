/** Injection token of the validated module options. */
export const REALTIME_OPTIONS = Symbol('nestjs-realtime:options');
/** Injection token of the raw options given to `forRoot` / returned by `forRootAsync`. */
export const REALTIME_MODULE_OPTIONS = Symbol('nestjs-realtime:module-options');
/** Injection token of this app instance's id (events$, stats, Redis acks). */
export const REALTIME_INSTANCE_ID = Symbol('nestjs-realtime:instance-id');
/** Injection token of the registry in use (memory or redis). */
export const REALTIME_REGISTRY = Symbol('nestjs-realtime:registry');

/** Marks the gateway options of our own gateway, so the adapter leaves user gateways alone. */
export const REALTIME_GATEWAY_MARKER = '__nestjsRealtime';
