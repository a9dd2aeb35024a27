export * from './realtime.error';
