export * from './health.js';
export * from './auth.js';
export * from './storage.js';
export * from './creatives.js';
