import { describe, expect, it } from 'vitest';
import { MULTICAL_MODELS } from '../../../shared/kmp/registers.js';
import { KMP_LOGGERS, firstLogPage, loggerFor, recordsPerPage } from '../../../shared/kmp/loggers.js';
import { encodeLogRequest, logAnswerLength } from '../../../shared/kmp/commands.js';

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
