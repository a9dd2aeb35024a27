export * from './close-codes';
export * from './error-codes';
export * from './frames';
export * from './wire';
export * from './resume';
