import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { createLogger } from './logger.js';

const capture = () => {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => lines.join('') };
};

describe('logs', () => {
  it('are one readable line per event for a person, secrets still redacted', () => {
    const out = capture();
    createLogger('info', out.stream, 'pretty').info({ creativeId: 'c-1', secretAccessKey: 'do-not-print-me' }, 'creative offloaded');
    const text = out.text();
    expect(text).toMatch(/INFO.*creative offloaded/);
    expect(text).toContain('creativeId: "c-1"');
    expect(text).not.toContain('do-not-print-me');
    expect(text.trimStart().startsWith('{')).toBe(false);
  });

  it('are JSON lines for collectors', () => {
    const out = capture();
    createLogger('info', out.stream).info({ creativeId: 'c-1' }, 'creative offloaded');
    expect(JSON.parse(out.text())).toMatchObject({ level: 30, msg: 'creative offloaded', creativeId: 'c-1', service: 'offload' });
  });

  it('are JSON in production and when not at a terminal, whatever NODE_ENV; LOG_FORMAT decides when set', () => {
    expect(loadConfig({ NODE_ENV: 'production' }).logFormat).toBe('json');
    expect(loadConfig({ NODE_ENV: 'production', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ NODE_ENV: 'development', LOG_FORMAT: 'json' }).logFormat).toBe('json');
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow('LOG_FORMAT must be json or pretty');
  });
});
