export { RealtimeTestingModule } from './realtime-testing.module';
export { connectClient, identityFromPage } from './connect-client';
export type { ConnectClientOptions } from './connect-client';
export { RealtimeTestClient } from './test-client';
export type { TestFrame } from './test-client';
