import { randomUUID } from 'node:crypto';
import {
  type DynamicModule,
  type FactoryProvider,
  Global,
  Inject,
  RequestMethod,
  type MiddlewareConsumer,
  Module,
  type ModuleMetadata,
  type NestModule,
  type Provider,
  type Type,
} from '@nestjs/common';
import { ConnectionAcceptor } from './gateway/connection-acceptor';
import { ConnectionHub } from './gateway/connection-hub';
import { Heartbeat } from './gateway/heartbeat';
import { Inbound } from './gateway/inbound';
import { createRealtimeGateway } from './gateway/realtime.gateway';
import {
  DiscoveryModule,
  ExternalContextCreator,
  HttpAdapterHost,
  ModuleRef,
} from '@nestjs/core';
import { installDefaultAdapter } from './gateway/default-adapter';
import { RealtimeLifecycle } from './gateway/realtime-lifecycle';
import { CallRouteHandler } from './handlers/call-route.handler';
import { MessageHandlerExplorer } from './handlers/message-handler.explorer';
import { MessageHandlers } from './handlers/message-handlers';
import { PingHandler } from './handlers/ping.handler';
import { PresenceHandler } from './handlers/presence.handler';
import { RealtimePresence } from './presence/realtime-presence';
import { SocketCalls } from './http/socket-calls';
import { ClientScriptMiddleware } from './http/client-script.middleware';
import { RealtimeHttpMiddleware } from './http/realtime-http.middleware';
import { SocketContexts } from './http/socket-contexts';
import { installFastifyHooks } from './http/fastify-hooks';
import { type FastifyLike, httpPlatform } from './http/platform';
import { RealtimeIdentity } from './identity/realtime-identity';
import {
  REALTIME_MODULE_OPTIONS,
  REALTIME_OPTIONS,
  REALTIME_INSTANCE_ID,
  REALTIME_REGISTRY,
} from './realtime.constants';
import {
  ASYNC_PATH,
  ASYNC_WITHOUT_FACTORY,
  optionError,
} from './realtime.messages';
import {
  DEFAULTS,
  type RealtimeModuleOptions,
  type ResolvedRealtimeOptions,
  resolveOptions,
} from './options';
import { RealtimeService } from './realtime.service';
import { RealtimeChannels } from './realtime-channels';
import { RealtimeStatsCounter } from './realtime-stats.counter';
import { createRegistry } from './registry/create-registry';
import { RealtimeMetrics } from './metrics/realtime-metrics';
import { RealtimeHealthIndicator } from './health/realtime-health.indicator';

/** Implemented by classes given to `forRootAsync({ useClass | useExisting })`. */
export interface RealtimeOptionsFactory {
  createRealtimeOptions():
    RealtimeModuleOptions | Promise<RealtimeModuleOptions>;
}

/** Options of `RealtimeModule.forRootAsync()`. */
export interface RealtimeModuleAsyncOptions extends Pick<
  ModuleMetadata,
  'imports'
> {
  inject?: FactoryProvider['inject'];
  useFactory?: (
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- whatever `inject` lists
    ...args: any[]
  ) => RealtimeModuleOptions | Promise<RealtimeModuleOptions>;
  useClass?: Type<RealtimeOptionsFactory>;
  useExisting?: Type<RealtimeOptionsFactory>;
  /** The socket path must be known before the factory runs (gateways are bound from metadata). */
  path?: string;
  /** Default `true`. */
  isGlobal?: boolean;
}

/** Lifecycle of one app's realtime module. */
@Global()
@Module({})
export class RealtimeModule implements NestModule {
  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    moduleRef: ModuleRef,
    contextCreator: ExternalContextCreator,
    private readonly adapterHost: HttpAdapterHost,
    private readonly contexts: SocketContexts,
    private readonly calls: SocketCalls,
  ) {
    installDefaultAdapter(contextCreator, moduleRef);
  }

  /** Configures the module once, in the root module. */
  static forRoot(options: RealtimeModuleOptions = {}): DynamicModule {
    return RealtimeModule.build(
      { provide: REALTIME_MODULE_OPTIONS, useValue: options },
      options?.path,
      true,
      [],
    );
  }

  /** Configures the module from a factory, class or existing provider. */
  static forRootAsync(options: RealtimeModuleAsyncOptions): DynamicModule {
    const providers: Provider[] = [];
    let optionsProvider: Provider;
    if (options.useFactory) {
      optionsProvider = {
        provide: REALTIME_MODULE_OPTIONS,
        useFactory: options.useFactory,
        inject: options.inject ?? [],
      };
    } else if (options.useClass || options.useExisting) {
      const factory = (options.useClass ??
        options.useExisting) as Type<RealtimeOptionsFactory>;
      if (options.useClass)
        providers.push({ provide: factory, useClass: factory });
      optionsProvider = {
        provide: REALTIME_MODULE_OPTIONS,
        useFactory: (f: RealtimeOptionsFactory) => f.createRealtimeOptions(),
        inject: [factory],
      };
    } else {
      throw new Error(ASYNC_WITHOUT_FACTORY);
    }
    return RealtimeModule.build(
      optionsProvider,
      options.path,
      options.isGlobal ?? true,
      options.imports ?? [],
      providers,
    );
  }

  private static build(
    optionsProvider: Provider,
    path: unknown,
    global: boolean,
    imports: NonNullable<ModuleMetadata['imports']>,
    extra: Provider[] = [],
  ): DynamicModule {
    const gatewayPath = path ?? DEFAULTS.path;
    return {
      module: RealtimeModule,
      global,
      imports: [DiscoveryModule, ...imports],
      providers: [
        ...extra,
        optionsProvider,
        {
          provide: REALTIME_OPTIONS,
          useFactory: (raw: RealtimeModuleOptions | undefined) => {
            if (raw?.path !== undefined && raw.path !== gatewayPath) {
              throw new Error(optionError('path', ASYNC_PATH));
            }
            return resolveOptions({ ...raw, path: gatewayPath as string });
          },
          inject: [REALTIME_MODULE_OPTIONS],
        },
        {
          provide: RealtimeIdentity,
          useFactory: (o: ResolvedRealtimeOptions) =>
            new RealtimeIdentity(o.secret),
          inject: [REALTIME_OPTIONS],
        },
        { provide: REALTIME_INSTANCE_ID, useFactory: () => randomUUID() },
        {
          provide: REALTIME_REGISTRY,
          useFactory: createRegistry,
          inject: [REALTIME_OPTIONS, REALTIME_INSTANCE_ID],
        },
        RealtimeStatsCounter,
        ConnectionHub,
        Heartbeat,
        RealtimeChannels,
        SocketContexts,
        MessageHandlerExplorer,
        MessageHandlers,
        Inbound,
        SocketCalls,
        PingHandler,
        CallRouteHandler,
        RealtimePresence,
        PresenceHandler,
        RealtimeService,
        RealtimeMetrics,
        RealtimeHealthIndicator,
        ConnectionAcceptor,
        RealtimeLifecycle,
        RealtimeHttpMiddleware,
        ClientScriptMiddleware,
        createRealtimeGateway(
          typeof gatewayPath === 'string' ? gatewayPath : DEFAULTS.path,
        ),
      ],
      exports: [RealtimeService, RealtimeHealthIndicator, REALTIME_OPTIONS],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    const platform = httpPlatform(this.adapterHost);
    if (this.options.clientPath) {
      consumer.apply(ClientScriptMiddleware).forRoutes({
        path: this.options.clientPath,
        method: RequestMethod.GET,
      });
    }
    if (platform === 'fastify') {
      // Fastify hands middleware the raw request and response; hooks see its own reply.
      installFastifyHooks(
        this.adapterHost.httpAdapter.getInstance<FastifyLike>(),
        this.contexts,
        this.calls,
        this.options,
      );
    } else {
      consumer.apply(RealtimeHttpMiddleware).forRoutes('*');
    }
  }
}
