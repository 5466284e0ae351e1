// Pure helpers of the Manager's administration screens: the permission matrix's change summary,
// the 422 field messages, and the local-day boundaries the erasure and token forms send.
import { describe, expect, test } from 'vitest';
import { ApiError } from '../../web/src/lib/api/client';
import { fieldErrors } from '../../web/src/routes/manager/configuration/field-errors';
import { changesOf } from '../../web/src/routes/manager/configuration/roles/roles-api';
import { dayStart } from '../../web/src/routes/manager/configuration/erasure/erasure-api';
import { endOfDay } from '../../web/src/routes/manager/configuration/tokens/tokens-api';

describe('changesOf', () => {
  const order = ['meters.read', 'readings.read', 'export', 'tokens.manage'];
  const saved = { user: ['meters.read', 'export'], superuser: ['meters.read'], administrator: order };

  test('no difference, no changes', () => {
    expect(changesOf(order, saved, { user: new Set(saved.user), superuser: new Set(saved.superuser) })).toEqual([]);
  });

  test('gains and losses per role, in the matrix order, roles without change left out', () => {
    const draft = { user: new Set(['tokens.manage', 'meters.read', 'readings.read']), superuser: new Set(['meters.read']) };
    expect(changesOf(order, saved, draft)).toEqual([{ role: 'user', added: ['readings.read', 'tokens.manage'], removed: ['export'] }]);
  });
});

describe('fieldErrors', () => {
  test('the first message per field of a 422 answer', () => {
    const body = { error: 'password: at least 10 characters', fields: [{ field: 'password', message: 'at least 10 characters' }, { field: 'password', message: 'second' }] };
    expect(fieldErrors(new ApiError('invalid', body.error, 422, body))).toEqual({ password: 'at least 10 characters' });
  });

  test('nothing for other failures', () => {
    expect(fieldErrors(new ApiError('server', 'boom', 500, { error: 'boom' }))).toEqual({});
    expect(fieldErrors(new Error('x'))).toEqual({});
  });
});

describe('local day boundaries', () => {
  test('dayStart is local midnight; "after" is the next midnight, so the whole last day is included', () => {
    expect(dayStart('2026-03-01')).toBe(new Date(2026, 2, 1).getTime());
    expect(dayStart('2026-03-01', true)).toBe(new Date(2026, 2, 2).getTime());
    expect(dayStart('2026-12-31', true)).toBe(new Date(2027, 0, 1).getTime());
  });

  test('endOfDay is the last millisecond of that local day', () => {
    expect(endOfDay('2027-01-31')).toBe(new Date(2027, 1, 1).getTime() - 1);
  });
});
