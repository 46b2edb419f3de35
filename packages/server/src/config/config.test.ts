import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe('configuration from the environment', () => {
  it('starts on embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.publicUrl).toBe('http://127.0.0.1:3000');
    expect(config.resultsDir).toBe(`${config.dataDir}/results`);
    expect(config.playground).toBe(true);
  });

  it('names PORT when it is not a number', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT must be a number']);
  });

  it('names PORT when it is out of range', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual(['PORT must be between 0 and 65535']);
  });

  it('names DATABASE_URL when it is not a PostgreSQL URL', () => {
    expect(problemsOf({ DATABASE_URL: 'mysql://x@y/z' })).toEqual(['DATABASE_URL must be a postgres:// or postgresql:// URL']);
  });

  it('names PUBLIC_URL when it is not http(s)', () => {
    expect(problemsOf({ PUBLIC_URL: 'javascript:alert(1)' })).toEqual(['PUBLIC_URL must be an absolute http(s) URL']);
  });

  it('names every bad variable at once', () => {
    expect(problemsOf({ PORT: '-1', LOG_LEVEL: 'loud', NODE_ENV: 'staging' })).toHaveLength(3);
  });

  it('turns the playground and introspection off by default in production', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(config.playground).toBe(false);
    expect(config.introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', GRAPHQL_PLAYGROUND: 'true' }).introspection).toBe(true);
  });

  it('drops a trailing slash from PUBLIC_URL so URLs join cleanly', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://media.example.com/' }).publicUrl).toBe('https://media.example.com');
  });
});
