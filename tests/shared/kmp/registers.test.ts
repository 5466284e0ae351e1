import { describe, expect, it } from 'vitest';
import { KMP_REGISTERS, MULTICAL_MODELS, registerBasis, registerBatches, registerById, registersFor } from '../../../shared/kmp/registers.js';

describe('register catalogue (protocols.md §5.5)', () => {
  it('has each id once', () => {
    const ids = KMP_REGISTERS.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('knows the ids of §5.5 by their meaning', () => {
    expect(registerById(60)).toMatchObject({ key: 'E1', quantity: 'energy' });
    expect(registerById(0x44)).toMatchObject({ key: 'V1', quantity: 'volume' });
    expect(registerById(1004)).toMatchObject({ key: 'HR', quantity: 'duration' });
    expect(registerById(175)).toMatchObject({ key: 'ERRHR' });
    expect(registerById(99)).toMatchObject({ key: 'INFO', quantity: 'info code' });
    expect(registerById(0x59)).toMatchObject({ key: 't1-t2', quantity: 'temperature difference' });
    expect(registerById(0x80)).toMatchObject({ key: 'MAXPOWER1/Y', quantity: 'power' });
    expect(registerById(1001)).toMatchObject({ key: 'SERIALNO' });
    expect(registerById(64)).toMatchObject({ key: 'TA2' });
    expect(registerById(84)).toMatchObject({ key: 'VA' });
    expect(registerById(0xffff)).toBeUndefined();
  });

  it('gives the analog inputs P1/P2 to MULTICAL 603/803 and not to 30x/40x (R7)', () => {
    for (const id of [91, 92]) {
      expect(registersFor('603').some((r) => r.id === id)).toBe(true);
      expect(registersFor('803').some((r) => r.id === id)).toBe(true);
      expect(registersFor('403').some((r) => r.id === id)).toBe(false);
      expect(registersFor('302').some((r) => r.id === id)).toBe(false);
    }
  });

  it('every model has the registers a doorstep read needs', () => {
    for (const m of MULTICAL_MODELS) {
      const keys = registersFor(m).map((r) => r.key);
      for (const k of ['E1', 'V1', 'HR', 't1', 't2', 'INFO', 'SERIALNO', 'DATE', 'CLOCK']) expect(keys, `${m} ${k}`).toContain(k);
    }
  });

  it('says how sure each pairing is', () => {
    const e1 = registerById(60)!;
    expect(registerBasis(e1, '601')).toBe('document');
    expect(registerBasis(e1, '603')).toBe('assumed');
    expect(registerBasis(registerById(348)!, '403')).toBe('open-source');
    expect(registerBasis(registerById(91)!, '302')).toBeNull();
  });

  it('batches ids by 8 for GetRegister', () => {
    const ids = registersFor('603').map((r) => r.id);
    const batches = registerBatches(ids);
    expect(batches.flat()).toEqual(ids);
    expect(batches.every((b) => b.length >= 1 && b.length <= 8)).toBe(true);
  });
});
