import { z } from 'zod';
import { ConfigError, intString, parseEnv } from './index';

const schema = z.object({
  PORT: intString(0, 65535).default(4000),
  SECRET: z.string().min(32),
  MODE: z.enum(['a', 'b']).default('a'),
});

describe('parseEnv', () => {
  it('applies defaults and treats empty strings as unset', () => {
    expect(parseEnv(schema, { PORT: '', SECRET: 'x'.repeat(32), OTHER: 'ignored' }, 'test')).toEqual({
      PORT: 4000,
      SECRET: 'x'.repeat(32),
      MODE: 'a',
    });
  });

  it('names every bad variable, echoes ordinary values, never a secret', () => {
    let err: unknown;
    try {
      parseEnv(schema, { PORT: '70000', SECRET: 'short-secret', MODE: 'c' }, 'engine', ['SECRET']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^invalid engine configuration: /);
    expect(msg).toContain('PORT: must be an integer between 0 and 65535 (got "70000")');
    expect(msg).toContain('MODE:');
    expect(msg).toContain('SECRET:');
    expect(msg).not.toContain('short-secret');
  });
});
