export { RealtimeTestingModule } from './realtime-testing.module';
export { appUrl } from './app-url';
export { connectClient, identityFromPage } from './connect-client';
export type { ConnectClientOptions } from './connect-client';
export { openTestClient, RealtimeTestClient } from './test-client';
export type { TestFrame, TestResume, TestSocketInit } from './test-client';
