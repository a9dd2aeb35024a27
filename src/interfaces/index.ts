export * from './realtime-event';
export * from './realtime-message';
export * from './realtime-stats';
