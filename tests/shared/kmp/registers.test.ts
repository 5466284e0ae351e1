import { describe, expect, it } from 'vitest';
import { KMP_REGISTERS, MULTICAL_MODELS, registerBasis, registerBatches, registerById, registersFor } from '../../../shared/kmp/registers.js';
import { KMP_LOGGERS, firstLogPage, loggerFor, recordsPerPage } from '../../../shared/kmp/loggers.js';
import { encodeLogRequest, logAnswerLength } from '../../../shared/kmp/commands.js';

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

describe('loggers', () => {
  it('each model has hourly, daily, monthly, yearly and info logs with at most 8 registers', () => {
    for (const m of MULTICAL_MODELS) {
      expect(KMP_LOGGERS[m].map((l) => l.kind)).toEqual(['hourly', 'daily', 'monthly', 'yearly', 'info']);
      for (const l of KMP_LOGGERS[m]) expect(l.registers.length).toBeLessThanOrEqual(8);
    }
  });

  it('only LID 01 on 601/801 counts as documented (§5.6); the rest is configuration', () => {
    expect(loggerFor('601', 'hourly')).toMatchObject({ lid: 1, dst: 0x7f, basis: 'document' });
    expect(loggerFor('603', 'hourly').basis).toBe('configuration');
    expect(loggerFor('603', 'daily')).toMatchObject({ depth: 460, basis: 'configuration' });
    expect(loggerFor('603', 'monthly').depth).toBe(36);
  });

  it('pages as many records as MaxL allows (doc §6.3.1 table)', () => {
    // doc table (frame length = APL + SOF, DST, CRC, EOF): n = 2, m = 3 → 53; n = 8, m = 2 → 121
    expect(logAnswerLength(3, [4, 4]) + 5).toBe(53);
    expect(logAnswerLength(2, new Array(8).fill(4)) + 5).toBe(121);
    expect(recordsPerPage(2, 0x80)).toBe(11); // 3 + 22 + 10 + 88 + 5 = 128
    expect(logAnswerLength(recordsPerPage(2, 0x80), [4, 4])).toBeLessThanOrEqual(0x80);
    expect(logAnswerLength(recordsPerPage(2, 0x80) + 1, [4, 4])).toBeGreaterThan(0x80);
    expect(recordsPerPage(8, 0xff)).toBe(6);
    expect(recordsPerPage(8, 10)).toBe(1);
  });

  it('starts a daily read with A0 from a time', () => {
    const req = firstLogPage(loggerFor('603', 'daily'), { year: 2025, month: 8, day: 1, hour: 0, minute: 0, second: 0 }, 0xff);
    expect(req).toMatchObject({ cid: 0xa0, lid: 2, records: 6, maxL: 0xff });
    expect(encodeLogRequest(req).length).toBe(2 + 16 + 2 + 8);
  });
});
