import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { CloseCode } from '../protocol';
import { REALTIME_OPTIONS, REALTIME_REGISTRY } from '../realtime.constants';
import {
  ADAPTER_MISSING,
  DEV_SECRET_WARNING,
  REDIS_IGNORED,
  REGISTRY_FROM_NODE_ENV,
} from '../realtime.messages';
import type { ResolvedRealtimeOptions } from '../options';
import type { RealtimeRegistry } from '../registry/realtime-registry';
import { ConnectionAcceptor } from './connection-acceptor';
import { ConnectionHub } from './connection-hub';
import { Heartbeat } from './heartbeat';
import { Inbound } from './inbound';

function sleepUntil(condition: () => boolean, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (condition() || Date.now() >= deadline) resolve();
      else setTimeout(check, 10).unref();
    };
    check();
  });
}

/**
 * Starts the side effects once the app is up and ends them in order on shutdown (like
 * @nestjs/schedule's orchestrator): README "Security and limits" `shutdownTimeout`.
 */
@Injectable()
export class RealtimeLifecycle
  implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger('Realtime');

  constructor(
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
    @Inject(REALTIME_REGISTRY) private readonly registry: RealtimeRegistry,
    private readonly acceptor: ConnectionAcceptor,
    private readonly hub: ConnectionHub,
    private readonly inbound: Inbound,
    private readonly heartbeat: Heartbeat,
  ) {}

  onModuleInit(): void {
    if (this.options.secretGenerated) this.logger.warn(DEV_SECRET_WARNING);
    if (this.options.registryFromEnv) this.logger.log(REGISTRY_FROM_NODE_ENV);
    if (this.options.redisIgnored)
      this.logger.warn(
        REDIS_IGNORED(
          typeof this.options.registry === 'string'
            ? `'${this.options.registry}'`
            : 'an object of the app',
        ),
      );
  }

  onApplicationBootstrap(): void {
    if (!this.acceptor.bound) throw new Error(ADAPTER_MISSING);
    this.heartbeat.start();
  }

  /**
   * Stop accepting handshakes, let in-flight replies finish, close every socket with
   * 1001 (clients reconnect, with jitter, to another instance), then unregister from
   * the registry — all within shutdownTimeout.
   */
  async beforeApplicationShutdown(): Promise<void> {
    const deadline = Date.now() + this.options.shutdownTimeout;
    this.acceptor.stopAccepting();
    this.heartbeat.stop();
    await sleepUntil(() => this.inbound.inFlight === 0, deadline);
    for (const connection of this.hub.all())
      connection.closeWith(
        CloseCode.GoingAway,
        'shutdown',
        'server shutting down',
      );
    await sleepUntil(() => this.hub.connectionCount === 0, deadline);
    for (const connection of this.hub.all()) connection.terminate('shutdown');
    await Promise.race([
      this.registry.close(),
      sleepUntil(() => false, deadline),
    ]);
    this.hub.dispose();
  }
}
