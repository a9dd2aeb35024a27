export * from './realtime-event';
export * from './realtime-stats';
