import { describe, expect, it } from 'vitest';
import { toTransportError, TransportError, WriteQueue, type TransportFailure } from '../../../web/src/lib/hardware/transport.js';
import { failureHelp } from '../../../web/src/lib/hardware/support.js';

describe('DOMException → TransportError', () => {
  it('maps by name and by step', () => {
    const dom = (name: string) => new DOMException('x', name);
    expect(toTransportError(dom('NotFoundError'), 'request', 'p').reason).toBe('nothing-picked');
    expect(toTransportError(dom('SecurityError'), 'request', 'p').reason).toBe('insecure-context');
    expect(toTransportError(dom('NotAllowedError'), 'request', 'p').reason).toBe('permission-denied');
    expect(toTransportError(dom('NetworkError'), 'open', 'p').reason).toBe('busy');
    expect(toTransportError(dom('NetworkError'), 'read', 'p').reason).toBe('lost');
    expect(toTransportError(dom('NotReadableError'), 'write', 'p').reason).toBe('lost');
    expect(toTransportError(new Error('boom'), 'write', 'p')).toMatchObject({ reason: 'io', message: 'p: write failed: boom' });
    // On https a SecurityError is a blocked permission, a policy or a chooser without a tap.
    const g = globalThis as { isSecureContext?: boolean };
    const was = g.isSecureContext;
    g.isSecureContext = true;
    try {
      expect(toTransportError(dom('SecurityError'), 'request', 'p').reason).toBe('permission-denied');
    } finally {
      if (was === undefined) delete g.isSecureContext;
      else g.isSecureContext = was;
    }
    const te = new TransportError('busy', 'held');
    expect(toTransportError(te, 'open', 'p')).toBe(te);
  });

  it('queues writes even when one fails', async () => {
    const q = new WriteQueue();
    const log: string[] = [];
    const a = q.run(async () => void log.push('a'));
    const b = q.run(async () => Promise.reject(new TransportError('io', 'b')));
    const c = q.run(async () => void log.push('c'));
    await a;
    await expect(b).rejects.toMatchObject({ reason: 'io' });
    await c;
    expect(log).toEqual(['a', 'c']);
  });
});

describe('help per failure', () => {
  it('has a title and concrete steps for every reason and API', () => {
    const reasons: TransportFailure[] = ['unsupported', 'insecure-context', 'permission-denied', 'bluetooth-off', 'nothing-picked', 'busy', 'lost', 'io'];
    for (const r of reasons) {
      for (const api of ['serial', 'bluetooth'] as const) {
        const h = failureHelp(r, api);
        expect(h.title.length).toBeGreaterThan(5);
        expect(h.steps.length).toBeGreaterThan(0);
      }
    }
    expect(failureHelp('busy', 'serial').steps.join(' ')).toContain('dialout');
    expect(failureHelp('nothing-picked', 'serial').steps.join(' ')).toContain('data cable');
  });
});
