import { describe, expect, test } from 'vitest';
import { parseEnv } from '../../server/src/env';

describe('environment', () => {
  test('defaults: port 8080 and ./data', () => {
    const r = parseEnv({});
    expect(r.ok && r.env.PORT).toBe(8080);
    expect(r.ok && r.env.DATA_DIR).toBe('./data');
    expect(r.ok && r.env.ADMIN_LOGIN).toBe('admin');
  });

  test('a bad PORT names the variable, the expectation and the value', () => {
    const r = parseEnv({ PORT: 'eighty' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual(['PORT: expected a number, got "eighty"']);
    const big = parseEnv({ PORT: '70000' });
    expect(!big.ok && big.errors[0]).toMatch(/^PORT: expected a port from 1 to 65535.*got "70000"$/);
  });

  test('every bad variable is reported, and a password is never echoed', () => {
    const r = parseEnv({ PORT: '-1', ADMIN_PASSWORD: 'short', LOG_LEVEL: 'loud' });
    expect(r.ok).toBe(false);
    const errors = r.ok ? [] : r.errors;
    expect(errors.map((e) => e.split(':')[0]).sort()).toEqual(['ADMIN_PASSWORD', 'LOG_LEVEL', 'PORT']);
    expect(errors.join('\n')).not.toContain('short');
  });

  test('an empty variable counts as unset', () => {
    const r = parseEnv({ PORT: '', DATA_DIR: '' });
    expect(r.ok && [r.env.PORT, r.env.DATA_DIR]).toEqual([8080, './data']);
  });
});
