// Send (issue 5): every stored frame reaches the server exactly once, by its clientId, also when
// the connection drops half-way; the outbox empties only for what the server answered; readings
// entries go with their frames; frames of unknown meters and without a key go too and stay here.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TOKEN_META } from '../../../web/src/lib/sync/device';
import type { SyncState } from '../../../web/src/lib/sync/sync.svelte';
import { syncLog, syncProblems } from '../../../web/src/lib/sync/log';
import { phaseText, runLines } from '../../../web/src/lib/sync/text';
import { toHex } from '../../../shared/bytes/hex';
import { ALL, METERS, meterKeyOf, useHarness, type Harness } from './harness';

const harness = useHarness();

/** Route received first (keys on the device), then a day's reading: readings and frames in the outbox. */
async function readDay(h: Harness, perMeter: number) {
  const fleet = await h.fleet();
  const { id, state } = await h.device({ groupIds: [fleet.group] });
  expect((await state.run())!.outcome).toBe('done');
  const n = await h.read(ALL, perMeter);
  return { fleet, id, state, n };
}

async function outbox(h: Harness) {
  const rows = await h.db.outbox.toArray();
  return { frames: rows.filter((r) => r.kind === 'frames').length, readings: rows.filter((r) => r.kind === 'readings').length };
}

/** Every local frame's clientId is held by the server exactly once. */
async function expectExactlyOnce(h: Harness) {
  const local = (await h.db.frames.toArray()).map((f) => f.clientId!);
  const held = h.serverClientIds();
  expect(held.size).toBe(local.length);
  for (const c of local) expect(held.get(c), c).toBe(1);
  // and each telegram is one frame on the server
  const frames = h.server.db.prepare("select count(*) as n from frame where source like 'device %'").get() as { n: number };
  expect(frames.n).toBe(local.length);
}

describe('send', () => {
  it('every frame lands on the server once; readings entries go with their frames; unknown and keyless frames go too and stay here', async () => {
    const h = harness();
    const { n } = await readDay(h, 4);
    expect(n).toBe(28);
    const before = await outbox(h);
    expect(before.frames).toBe(28);
    expect(before.readings).toBe(16); // the four keyed route meters decode here
    const kept = await h.db.frames.where('status').equals('pending').toArray();
    expect(kept.map((f) => f.meterKey).sort()).toEqual(
      [...Array(4).fill(meterKeyOf(METERS.routeBare)), ...Array(4).fill(meterKeyOf(METERS.offRoute)), ...Array(4).fill(meterKeyOf(METERS.unknown))].sort()
    );

    const seen: string[] = [];
    const watching: typeof fetch = (input, init) => {
      if (String(input) === '/api/sync/frames') seen.push(phaseText(s.phase, s.done, s.total));
      return h.browser(input, init);
    };
    const s = h.state({ batchSize: 10, fetch: watching });
    await s.refresh();
    expect(s.waiting).toEqual({ frames: 28, readings: 16, exchanges: 0 });
    expect(s.toSend).toBe(28);
    expect(s.kept).toEqual({ withoutKey: 4, notOnRoute: 8 });
    const run = await s.run();
    expect(run!.outcome, run!.error).toBe('done');
    expect(seen).toEqual(['Sending 0 of 28 telegrams…', 'Sending 10 of 28 telegrams…', 'Sending 20 of 28 telegrams…']);
    expect(run!.sent).toMatchObject({ waiting: 28, fresh: 28, duplicate: 0, rejected: 0, batches: 3 });
    expect(run!.exchanges).toEqual({ sent: 0, rejected: 0 });
    expect(runLines(run!).slice(0, 2)).toEqual([
      'Sent 28 telegrams: 28 new.',
      'The server keeps 4 without a key, 4 of unknown meters to decode later.'
    ]);
    // the server decodes the keyed meters (also the one off this device's route), keeps the others raw
    expect(run!.sent.byStatus).toEqual({ decoded: 20, 'no-key': 4, 'unknown-meter': 4 });
    expect(run!.readings).toBe(16);
    await expectExactlyOnce(h);
    expect(await outbox(h)).toEqual({ frames: 0, readings: 0 });
    // nothing is deleted here: raw frames stay, the unknown and keyless ones still waiting
    expect(await h.db.frames.count()).toBe(28);
    expect(await h.db.frames.where('status').equals('pending').count()).toBe(12);
    expect(s.waiting).toEqual({ frames: 0, readings: 0, exchanges: 0 });
    expect(s.kept).toEqual({ withoutKey: 4, notOnRoute: 8 });

    // the server holds the bytes as stored here
    const sample = (await h.db.frames.toArray())[5];
    const row = h.server.db.prepare('select f.raw from sync_frame s join frame f on f.id = s.frame_id where s.client_id = ?').get(sample.clientId) as { raw: Buffer };
    expect(toHex(row.raw)).toBe(toHex(sample.raw));

    // a second run has nothing to send
    const again = await s.run();
    expect(again!.sent).toMatchObject({ fresh: 0, duplicate: 0, batches: 0 });
    expect(runLines(again!)[0]).toBe('Sent: no telegrams waiting.');
  });

  it('a dropped connection: batch 2 is stored by the server but its answer is lost; the next run completes, each frame once', async () => {
    const h = harness();
    await readDay(h, 5); // 35 frames, 20 readings
    let posts = 0;
    const dropping: typeof fetch = async (input, init) => {
      if (String(input) === '/api/sync/frames' && ++posts === 2) {
        const res = await h.browser(input, init); // the server commits batch 2 …
        expect(res.status).toBe(200);
        throw new TypeError('Failed to fetch'); // … and the answer never arrives
      }
      return h.browser(input, init);
    };
    const s = h.state({ fetch: dropping, batchSize: 10 });
    const cut = await s.run();
    expect(cut!.outcome).toBe('failed');
    expect(cut!.error).toMatch(/cannot be reached.*Nothing is lost/);
    expect(cut!.sent).toMatchObject({ fresh: 10, duplicate: 0, batches: 1 });
    expect(cut!.received).toBeNull();
    expect((await outbox(h)).frames).toBe(25); // batch 1 confirmed; 2, 3, 4 wait
    expect(h.serverClientIds().size).toBe(20); // the server has batches 1 and 2

    const next = await h.state({ batchSize: 10 }).run();
    expect(next!.outcome, next!.error).toBe('done');
    expect(next!.sent).toMatchObject({ fresh: 15, duplicate: 10, rejected: 0 });
    await expectExactlyOnce(h);
    expect(await outbox(h)).toEqual({ frames: 0, readings: 0 });

    const log = await syncLog(h.db);
    expect(log.map((r) => r.outcome)).toEqual(['done', 'failed', 'done']); // newest first: this, the cut one, readDay's Receive
    expect(runLines(log[0])[0]).toBe('Sent 25 telegrams: 15 new, 10 already on the server.');
    expect(runLines(log[1])[0]).toBe('Sent 10 telegrams: 10 new.');
    expect(log[1].error).toMatch(/cannot be reached/);
    expect(log[0].received).toMatchObject({ meters: 5, keys: 4 });
  });

  it('cancelled half-way: what the server confirmed stays confirmed, the rest goes with the next run', async () => {
    const h = harness();
    await readDay(h, 3); // 21 frames
    let posts = 0;
    const state: { s: SyncState | null } = { s: null };
    const cancelling: typeof fetch = async (input, init) => {
      const res = await h.browser(input, init);
      if (String(input) === '/api/sync/frames' && ++posts === 2) state.s!.cancel(); // the person presses Cancel during batch 2
      return res;
    };
    const s = (state.s = h.state({ fetch: cancelling, batchSize: 5 }));
    const run = await s.run();
    expect(run!.outcome).toBe('cancelled');
    expect(run!.error).toMatch(/^Cancelled\. What the server had confirmed stays confirmed/);
    expect(run!.sent).toMatchObject({ fresh: 10, batches: 2 });
    expect(s.running).toBe(false);
    expect((await outbox(h)).frames).toBe(11);
    const next = await h.state().run();
    expect(next!.outcome).toBe('done');
    expect(next!.sent).toMatchObject({ fresh: 11, duplicate: 0 });
    await expectExactlyOnce(h);
  });

  it('a clientId the server holds for other bytes is refused: out of the outbox, recorded as a problem with the server\'s reason', async () => {
    const h = harness();
    await readDay(h, 1); // 7 frames
    const victim = (await h.db.frames.toArray())[2];
    // an earlier install of the app used this clientId for another telegram
    const token = (await h.db.meta.get(TOKEN_META))!.value as string;
    const other = (await h.db.frames.toArray())[3];
    const res = await h.server.app.request('/api/sync/frames', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batchId: randomUUID(), frames: [{ clientId: victim.clientId, hex: toHex(other.raw), receivedAt: other.receivedAt }] })
    });
    expect(res.status).toBe(200);

    const s = h.state();
    const run = await s.run();
    expect(run!.outcome).toBe('done');
    expect(run!.sent).toMatchObject({ rejected: 1 });
    expect(await outbox(h)).toEqual({ frames: 0, readings: 0 });
    const problems = await syncProblems(h.db);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ frameId: victim.id, clientId: victim.clientId, meterKey: victim.meterKey });
    expect(problems[0].reason).toMatch(/sent before with other bytes/);
    expect(s.problems).toEqual(problems);
    expect(runLines(run!)[0]).toMatch(/1 refused/);
    expect(await h.db.frames.get(victim.id!)).toBeDefined(); // kept here
  });

  it('a frame the server cannot take yet (received "in the future" by its clock) is held back; the rest goes', async () => {
    const h = harness();
    await readDay(h, 1);
    const ahead = (await h.db.frames.toArray())[1];
    await h.db.frames.update(ahead.id!, { receivedAt: h.server.clock.now + 2 * 86_400_000 });
    const run = await h.state().run();
    expect(run!.outcome, run!.error).toBe('done');
    expect(run!.sent).toMatchObject({ fresh: 6, heldBack: 1 });
    expect(run!.sent.heldBackReason).toMatch(/receivedAt: more than a day in the future/);
    const left = await h.db.outbox.where('kind').equals('frames').toArray();
    expect(left.map((e) => e.ref)).toEqual([ahead.id]);
    expect(h.serverClientIds().has(ahead.clientId!)).toBe(false);
  });
});
