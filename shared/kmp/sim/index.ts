// The simulated MULTICAL 603 behind a simulated optical head (issue 9, kmp-sim contract):
// - config.ts / model.ts / physics.ts: what the meter measures hour by hour, its registers (§5.5) and its
//   loggers (hourly 1,440 h, daily 460 days, monthly 36, yearly 15, info-code log 50 changes),
//   all from the same cumulative sums, so logger differences add up to register growth.
// - log-read.ts: which records one A0..A3 answer carries (§5.6: NRcs, MaxL, INFO bits).
// - meter.ts: SimKmpMeter, real KMP bytes in and out (§5.2-§5.4, §5.6).
// - head.ts: SimOpticalHead, the byte link with echo, 1200 baud 8N2 line pace ÷ speed, the
//   meter's response delay and seeded faults (silence, dropped byte, bad CRC); timers injected
//   (VirtualTimers from the wired M-Bus sim in tests).
export { selectRecords } from './log-read.js';
export type { LogSelection, LogStart } from './log-read.js';
export { SIM_603_REGISTERS, SIM_WRITABLE, dateNumber, simLogs, timeNumber } from './config.js';
export type { SimLogSpec, SimRegisterSpec, SimRegisterValue } from './config.js';
export { SimMeterModel } from './model.js';
export type { SimLogWindow, SimModelOptions } from './model.js';
export { ERROR_INFO_MASK, DAY_MS, HOUR_MS, SimPhysics } from './physics.js';
export type { InfoEvent, SimHour } from './physics.js';
export { SIM_603_TYPE, SIM_DEFAULT_PASSWORD, SimKmpMeter, logTimeMs, simTime } from './meter.js';
export type { SimKmpMeterOptions, SimKmpOutcome } from './meter.js';
export { KMP_BAUD, METER_INTER_BYTE_MS, SIM_HEAD_CHUNK_BYTES, SimOpticalHead } from './head.js';
export type { KmpByteLink, SimHeadFault, SimHeadFaults, SimHeadStats, SimOpticalHeadOptions } from './head.js';
export { VirtualTimers } from '../../mbus/sim/virtual-timers.js';
export type { SimTimers } from '../../mbus/sim/line.js';
