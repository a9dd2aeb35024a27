import type { ContextType, ExecutionContext, Type } from '@nestjs/common';

type WsArgumentsHost = ReturnType<ExecutionContext['switchToWs']>;
type HttpArgumentsHost = ReturnType<ExecutionContext['switchToHttp']>;
type RpcArgumentsHost = ReturnType<ExecutionContext['switchToRpc']>;

/**
 * The execution context the digest guard sees for a socket request: Nest's public
 * `ExecutionContext` for a `ws` call, built here because the class Nest uses for it lives
 * at a path that differs between Nest 11 and 12.
 */
export class SocketExecutionContext implements ExecutionContext {
  constructor(
    private readonly args: unknown[],
    private readonly handlerClass: Type<unknown> | undefined,
    private readonly handler: ((...args: never[]) => unknown) | undefined,
  ) {}

  getClass<T = unknown>(): Type<T> {
    return this.handlerClass as Type<T>;
  }

  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- Nest's signature
  getHandler(): Function {
    return this.handler as (...args: never[]) => unknown;
  }

  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as T;
  }

  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }

  getType<T extends string = ContextType>(): T {
    return 'ws' as T;
  }

  switchToWs(): WsArgumentsHost {
    return {
      getClient: <T>() => this.args[0] as T,
      getData: <T>() => this.args[1] as T,
      getPattern: () =>
        (this.args[1] as { action?: string } | undefined)?.action as string,
    };
  }

  switchToHttp(): HttpArgumentsHost {
    return {
      getRequest: <T>() => this.args[0] as T,
      getResponse: <T>() => this.args[1] as T,
      getNext: <T>() => this.args[2] as T,
    };
  }

  switchToRpc(): RpcArgumentsHost {
    return {
      getData: <T>() => this.args[0] as T,
      getContext: <T>() => this.args[1] as T,
    };
  }
}
