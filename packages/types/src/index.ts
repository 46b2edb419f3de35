export * from './health.js';
export * from './auth.js';
