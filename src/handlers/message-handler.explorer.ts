import { Inject, Injectable, type Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import {
  ContextIdFactory,
  DiscoveryService,
  ExternalContextCreator,
  ModuleRef,
} from '@nestjs/core';
import { REALTIME_OPTIONS } from '../realtime.constants';
import {
  BUNDLED_CLASH,
  DUPLICATE_HANDLER,
  NO_HANDLE,
} from '../realtime.messages';
import type { ResolvedRealtimeOptions } from '../options';
import type {
  RealtimeContext,
  RealtimeMessageHandler,
} from '../interfaces/realtime-message';
import {
  BUNDLED_HANDLER_METADATA,
  MESSAGE_HANDLER_METADATA,
} from './message-handler.decorator';

/** Arguments of a socket execution context: `[client, message, realtimeContext]` (Nest's ws convention). */
export type HandlerArgs = [
  client: unknown,
  message: unknown,
  context: RealtimeContext | undefined,
];

/** A discovered handler, ready to run. */
export interface HandlerEntry {
  action: string;
  className: string;
  /** One of the handlers that ship with the package. */
  bundled: boolean;
  metatype: Type<RealtimeMessageHandler>;
  /** Runs the handler through the app's guards, interceptors and pipes; resolves to its raw result. */
  invoke(args: HandlerArgs): Promise<unknown>;
}

type Invoker = (...args: unknown[]) => Promise<unknown>;

/** Nest's ws param types: `@ConnectedSocket()` (0) and `@MessageBody()` (3) work in `handle`. */
const wsParamsFactory = {
  exchangeKeyForValue(type: number, data: unknown, args: unknown[]): unknown {
    if (type === 0) return args[0];
    if (type === 3)
      return data
        ? (args[1] as Record<string, unknown> | undefined)?.[String(data)]
        : args[1];
    return null;
  },
};

/**
 * Finds `@MessageHandler` providers in every module at boot (like @nestjs/schedule's
 * explorer) and wraps each in Nest's guard/interceptor/pipe pipeline. Request-scoped
 * handlers get a fresh instance per message, with the RealtimeContext as REQUEST.
 */
@Injectable()
export class MessageHandlerExplorer {
  private readonly creator: ExternalContextCreator;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly moduleRef: ModuleRef,
    shared: ExternalContextCreator,
    @Inject(REALTIME_OPTIONS) private readonly options: ResolvedRealtimeOptions,
  ) {
    // Nest collapses an Observable result into its last value; handlers stream one reply per
    // emission, so this app-private view of the shared creator returns results untouched.
    this.creator = Object.create(shared) as ExternalContextCreator;
    (
      this.creator as unknown as {
        transformToResult(result: unknown): Promise<unknown>;
      }
    ).transformToResult = async (result) => result;
  }

  explore(): Map<string, HandlerEntry> {
    const user = new Map<string, HandlerEntry>();
    const bundled = new Map<string, HandlerEntry>();
    const seen = new Set<unknown>();
    for (const wrapper of this.discovery.getProviders()) {
      const metatype = wrapper.metatype as
        Type<RealtimeMessageHandler> | undefined;
      if (!metatype || typeof metatype !== 'function' || seen.has(metatype))
        continue;
      const action = Reflect.getMetadata(MESSAGE_HANDLER_METADATA, metatype) as
        string | undefined;
      if (action === undefined) continue;
      seen.add(metatype);
      if (typeof metatype.prototype?.handle !== 'function')
        throw new Error(NO_HANDLE(metatype.name));
      const isBundled =
        Reflect.getMetadata(BUNDLED_HANDLER_METADATA, metatype) === true;
      const table = isBundled ? bundled : user;
      const existing = table.get(action);
      if (existing)
        throw new Error(
          DUPLICATE_HANDLER(action, existing.className, metatype.name),
        );
      const entry = isBundled
        ? this.bundledEntry(
            action,
            metatype,
            wrapper.instance as RealtimeMessageHandler,
          )
        : this.userEntry(action, metatype, wrapper);
      table.set(action, entry);
    }
    for (const [action, entry] of bundled) {
      const replacement = user.get(action);
      if (!replacement) user.set(action, entry);
      else if (!this.options.replaceBundledHandlers.includes(action))
        throw new Error(BUNDLED_CLASH(action, replacement.className));
    }
    return user;
  }

  /** Bundled handlers are ours: only the digest guard runs (call-route's route gets the full HTTP pipeline). */
  private bundledEntry(
    action: string,
    metatype: Type<RealtimeMessageHandler>,
    instance: RealtimeMessageHandler,
  ): HandlerEntry {
    return {
      action,
      className: metatype.name,
      bundled: true,
      metatype,
      invoke: async (args) =>
        instance.handle(args[1] as never, args[2] as RealtimeContext),
    };
  }

  private userEntry(
    action: string,
    metatype: Type<RealtimeMessageHandler>,
    wrapper: ReturnType<DiscoveryService['getProviders']>[number],
  ): HandlerEntry {
    const callback = this.callbackFor(metatype);
    const create = (
      instance: object,
      contextId?: ReturnType<typeof ContextIdFactory.create>,
    ): Invoker =>
      this.creator.create(
        instance,
        callback as never,
        'handle',
        ROUTE_ARGS_METADATA,
        wsParamsFactory,
        contextId,
        wrapper.id,
        { guards: true, interceptors: true, filters: false },
        'ws',
      ) as Invoker;
    if (wrapper.isDependencyTreeStatic() && !wrapper.isTransient) {
      const invoke = create(wrapper.instance as object);
      return {
        action,
        className: metatype.name,
        bundled: false,
        metatype,
        invoke: (args) => invoke(...args),
      };
    }
    return {
      action,
      className: metatype.name,
      bundled: false,
      metatype,
      invoke: async (args) => {
        const contextId = ContextIdFactory.create();
        this.moduleRef.registerRequestByContextId(args[2], contextId);
        const instance = await this.moduleRef.resolve(metatype, contextId, {
          strict: false,
        });
        return create(instance as object, contextId)(...args);
      },
    };
  }

  /**
   * `handle(message, context)` is called as is; with param decorators (`@MessageBody()`,
   * `@Socket()`, …) Nest fills the arguments. The wrapper keeps the method's metadata
   * (method-level guards, interceptors, pipes).
   */
  private callbackFor(
    metatype: Type<RealtimeMessageHandler>,
  ): (...args: unknown[]) => unknown {
    const handle = metatype.prototype.handle as (...args: unknown[]) => unknown;
    const decorated =
      Object.keys(
        Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, 'handle') ?? {},
      ).length > 0;
    if (decorated) return handle;
    const wrapper = function (
      this: RealtimeMessageHandler,
      _client: unknown,
      message: unknown,
      context: unknown,
    ) {
      return handle.call(this, message, context);
    };
    for (const key of Reflect.getMetadataKeys(handle))
      Reflect.defineMetadata(key, Reflect.getMetadata(key, handle), wrapper);
    return wrapper;
  }
}
