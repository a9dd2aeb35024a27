import {
  Inject,
  Injectable,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { REALTIME_OPTIONS } from '../realtime.constants';
import { RealtimeDigestGuard } from './digest.guard';
import { SocketExecutionContext } from './socket-execution-context';
import {
  type HandlerArgs,
  type HandlerEntry,
  MessageHandlerExplorer,
} from './message-handler.explorer';

/**
 * The app's message handlers, found at boot: the digest guard decides whether a request
 * may run, then its handler runs and returns a value, a Promise or an Observable. Never
 * touches a socket: the gateway writes what comes back.
 */
@Injectable()
export class MessageHandlers implements OnModuleInit {
  private handlers = new Map<string, HandlerEntry>();
  private digestGuard!: RealtimeDigestGuard;

  constructor(
    private readonly explorer: MessageHandlerExplorer,
    private readonly moduleRef: ModuleRef,
    @Inject(REALTIME_OPTIONS)
    private readonly options: {
      digestGuard: Type<RealtimeDigestGuard> | undefined;
    },
  ) {}

  async onModuleInit(): Promise<void> {
    this.handlers = this.explorer.explore();
    const guard: Type<RealtimeDigestGuard> =
      this.options.digestGuard ?? RealtimeDigestGuard;
    this.digestGuard = await this.moduleRef.create(guard);
  }

  /** The handler of an action, if the app has one. */
  find(action: string): HandlerEntry | undefined {
    return this.handlers.get(action);
  }

  /** Runs the digest guard for a request (also for one whose action has no handler). */
  async authorize(
    entry: HandlerEntry | undefined,
    args: HandlerArgs,
  ): Promise<boolean> {
    return this.digestGuard.canActivate(
      new SocketExecutionContext(
        args,
        entry?.metatype,
        entry?.metatype.prototype.handle,
      ),
    );
  }

  /** Runs the handler through the app's guards, interceptors and pipes; its raw result. */
  invoke(entry: HandlerEntry, args: HandlerArgs): Promise<unknown> {
    return entry.invoke(args);
  }
}
