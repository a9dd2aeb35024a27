// Every error a user reads — thrown at boot or in an API call, or sent in an error
// frame — lives here, so wording stays consistent. Two kinds live beside what they
// describe: an option's problem beside its check (src/options/option-checks.ts), and
// log lines beside what they log.

export const optionError = (option: string, problem: string) =>
  `RealtimeModule: option "${option}" ${problem}`;

export const MISSING_SECRET = (reason: string) =>
  optionError(
    'secret',
    `is required ${reason}: pass the same long random string (at least 32 characters) to every instance, e.g. secret: process.env.REALTIME_SECRET`,
  );

const CHOOSE_MEMORY =
  "pass registry: 'memory' to run one process without Redis";

/** Why a secret is required when nobody chose the Redis registry but NODE_ENV did. */
export const REDIS_CHOSEN_BY_NODE_ENV = `with the Redis registry, which NODE_ENV=production chose (no "registry" option was given; ${CHOOSE_MEMORY})`;

export const DEV_SECRET_WARNING =
  'No "secret" configured: using a random per-process secret. Connection ids will not survive a restart and cannot be shared between instances. Set "secret" in production.';

export const REGISTRY_FROM_NODE_ENV = `NODE_ENV=production and no "registry" option: using the Redis registry (${CHOOSE_MEMORY}, or registry: 'redis' to say so).`;

export const REDIS_IGNORED = (registry: string) =>
  `The "redis" option is not used: the registry is ${registry}. Pass registry: 'redis' to use Redis, or drop the "redis" option.`;

export const IOREDIS_MISSING = (fromEnv: boolean) =>
  `RealtimeModule: the Redis registry needs the ioredis package, which is not installed: install ioredis (npm i ioredis)${fromEnv ? `. NODE_ENV=production chose the Redis registry (no "registry" option was given); ${CHOOSE_MEMORY}` : ''}.`;

export const ADAPTER_MISSING =
  'RealtimeModule: the realtime gateway is not served by RealtimeWsAdapter. Add `app.useWebSocketAdapter(new RealtimeWsAdapter(app))` in main.ts before app.listen().';

export const MIDDLEWARE_MISSING =
  'RealtimeModule: this request did not pass through the realtime middleware. Import RealtimeModule.forRoot() in the app module; @Socket() works in HTTP controllers of that app.';

export const UNSUPPORTED_PLATFORM = (type: string) =>
  `RealtimeModule: the HTTP platform "${type}" is not supported: the module sets the key cookie, injects the connection id into pages and runs call-route through the platform, which it can do on @nestjs/platform-express and @nestjs/platform-fastify only.`;

export const METRICS_WITHOUT_PROM_CLIENT =
  'RealtimeModule: option "metrics" needs prom-client, an optional peer dependency: install it (npm i prom-client), or leave "metrics" out';
export const METRICS_TAKEN = (name: string, global: boolean) =>
  `RealtimeModule: option "metrics": the metric ${JSON.stringify(name)} is registered already ${global ? "in prom-client's global registry (another app of this process uses metrics: true): give each app its own, metrics: { registry: new Registry() }, or another prefix" : 'in the given registry: give this app another prefix or registry'}`;
export const REGISTRY_WITHOUT_HISTORY = (kind: string) =>
  `RealtimeModule: option "history": the registry given as "registry" (kind ${JSON.stringify(kind)}) keeps no history (it has no "history" member; README "Delivery guarantees"): implement RegistryHistory, or set history: false`;
export const HISTORY_OFF =
  'history is off (history: false): no channel keeps its messages';
export const BAD_HISTORY_QUERY =
  'history(channel, { since?, limit? }): "since" must be an offset (a whole number ≥ 0) and "limit" a whole number ≥ 1';
export const NO_CHANNELS = 'at least one channel is required';
export const INVALID_CHANNEL = 'a channel must be a non-empty string';
export const CHANNEL_WILDCARD =
  'a channel name cannot contain "*" (it would reach every matching channel): use pushMatching(message, ...patterns) for a wildcard push';
export const CHANNEL_TOO_LONG = (max: number) =>
  `a channel name must be at most ${max} characters (maxChannelLength)`;
export const TOO_MANY_CHANNELS = (max: number) =>
  `a client view may hold at most ${max} channels (maxChannelsPerView); nothing of this subscribe was applied`;
export const INVALID_MESSAGE =
  'the message must be a JSON value (string, number, boolean, array, object or null)';
export const INVALID_USER =
  'identify(user, info?): the user must be a non-empty string of at most 256 characters, and info a JSON value of at most 4096 bytes';
export const INVALID_REVOKE_TARGET =
  'disconnect(target, reason?): the target must be { user } or { digest } (a digest from RealtimeSocket.digest), and the reason at most 123 bytes of UTF-8';
export const NO_IDENTITY_SUPPORT = (kind: string, method: string) =>
  `the registry (kind ${JSON.stringify(kind)}) has no ${method} member: a registry of the app's own implements it for identify(), disconnect() and presence() (README "A registry of your own")`;
export const REVOKED_VIEW =
  'this client view was revoked (disconnect()): a new page render gives a new one';
export const PRESENCE_NOT_SHARED =
  'presence is not shared on this channel (option "presence"), or this connection is not subscribed to it';
export const BAD_PRESENCE_REQUEST =
  '{"action":"presence","channel":"<name>"}: "channel" must be a channel name';
export const INVALID_DIGEST =
  'a digest must be a string returned by RealtimeSocket.digest';

// Why a frame is not a request: wire texts, defined with the protocol (src/protocol/frames.ts).
export { FrameProblem } from './protocol/frames';
export const HANDLER_FAILED = 'the handler failed';
export const UNEXPECTED_HANDSHAKE = 'unexpected handshake';
export const RATE_LIMITED = 'too many requests: slow down';
export const TOO_MANY_IN_FLIGHT =
  'too many requests of this connection are still running (maxInFlight): wait for replies';
export const UNAUTHORIZED = 'this connection is not authorized';
export const CALL_ROUTE_TIMEOUT = (ms: number) =>
  `the route did not answer within callRouteTimeout (${ms} ms)`;
export const UNKNOWN_ACTION = (action: string) =>
  `no handler for action "${action.length > 100 ? action.slice(0, 100) + '…' : action}"`;

// Redis registry (README "Registries and guarantees" 1).
export const REGISTRY_UNAVAILABLE =
  'the registry could not reach Redis within publishTimeout';
export const REGISTRY_UNCONFIRMED =
  'an instance holding a live connection of this client view did not confirm the change within publishTimeout; the change is stored and takes effect there once that instance is back on Redis (or its lease runs out)';
export const REGISTRY_REFUSED = (reply: string) =>
  `Redis refused the registry's command: ${reply}`;

// Message handlers at boot.
export const DUPLICATE_HANDLER = (action: string, a: string, b: string) =>
  `RealtimeModule: two message handlers for action "${action}": ${a} and ${b}. Keep one.`;
export const BUNDLED_CLASH = (action: string, user: string) =>
  `RealtimeModule: ${user} handles "${action}", an action of a bundled handler. To replace the bundled one, list it: replaceBundledHandlers: ['${action}'].`;
export const NO_HANDLE = (name: string) =>
  `RealtimeModule: @MessageHandler class ${name} has no handle(message, context) method.`;
export const BAD_ACTION_NAME =
  '@MessageHandler(action): the action must be a non-empty string';

// The module.
export const OPTIONS_NOT_OBJECT = 'RealtimeModule: options must be an object';
export const OPTIONS_WRONG = (count: number) =>
  `RealtimeModule: ${count} options are wrong:`;
export const ASYNC_WITHOUT_FACTORY =
  'RealtimeModule.forRootAsync: pass one of useFactory, useClass or useExisting';
export const ASYNC_PATH =
  'must be given to forRootAsync({ path }) itself, not returned by its factory';

// call-route (bad_request and handler_error messages).
export const CALL_METHOD = (methods: readonly string[]) =>
  `"method" must be one of ${methods.join(', ')}`;
export const CALL_URI_NOT_PATH =
  '"uri" must be a path starting with "/" (no scheme or host)';
export const CALL_URI_TOO_LONG = (max: number) =>
  `"uri" must be at most ${max} characters`;
export const CALL_URI_CONTROL =
  '"uri" must not contain spaces or control characters';
export const CALL_GET_INPUT = '"input" of a GET must be an object';
export const CALL_CLOSED = 'the connection closed';
