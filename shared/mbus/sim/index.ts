// The simulated wired M-Bus segment (issue 8, contract B): meters, bus, generated segments and
// the in-memory line. What it models, and the choices where the standard leaves room:
//
// - Meters: MULTICAL 403 (TV-10 layout), MULTICAL 603 (TV-11 layout over three telegrams, DIF 1F),
//   OMS water (DME) and heat (LUG); registers grow from `startEpochMs` at a power/flow fixed by
//   the id; `SimBus.reading(id, nowMs)` is what the telegram carries.
// - Link: primary 0..250, 253 (selected), 254 (all answer), 255 (all act, none answers); FCB
//   repeat within REPEAT_WINDOW_MS, a new read after it; SND_NKE and a fresh selection reset it.
// - Selection CI 52 (LSB first) / 56 (MSB first): F nibbles of the ID and FF bytes elsewhere are
//   wildcards; a mismatching selection deselects.
// - Baud: a meter without `baud` hears any rate (auto-baud); CI B8..BF is acknowledged at the
//   old rate, then it hears only the new one (`SimBus.answer(…, baud)`, `SimLine.baud`).
// - Collisions: several answers become their byte-wise OR with every frame start byte spoilt:
//   always garbage, never a clean frame. Faults (garble, silence, bad checksum) are per answer
//   from a seeded PRNG.
// - SimLine: request line time, SIM_TURNAROUND_BITS (33 bit times), answer in up to three
//   chunks at line pace, divided by timeScale; timers injected (VirtualTimers for tests).
export { SimBus, superpose } from './bus.js';
export type { SimBusOptions, SimBusStats, SimExchange, SimFaults } from './bus.js';
export { SimLine, SIM_TURNAROUND_BITS } from './line.js';
export type { SimLineOptions, SimTimers } from './line.js';
export { BAUD_BY_CI, REPEAT_WINDOW_MS, secondaryAddressOf } from './meter.js';
export { MODEL_DEFAULTS } from './models.js';
export type { SimMbusMeter, SimMbusModel, SimReading } from './models.js';
export { simSegment } from './segment.js';
export type { SimSegmentOptions } from './segment.js';
export { VirtualTimers } from './virtual-timers.js';
