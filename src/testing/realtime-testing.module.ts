import type { DynamicModule } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { RealtimeModule } from '../realtime.module';
import type { RealtimeModuleOptions } from '../options';

/** The real RealtimeModule for tests: memory registry, a fresh secret, no Redis needed. */
export class RealtimeTestingModule {
  static forRoot(
    options: Omit<
      RealtimeModuleOptions,
      'registry' | 'redis' | 'keyPrefix'
    > = {},
  ): DynamicModule {
    return RealtimeModule.forRoot({
      secret: randomBytes(32).toString('base64url'),
      ...options,
      registry: 'memory',
    });
  }
}
