// The simulated wired M-Bus segment (issue 8, contract B): meters, bus, generated segments and
// the in-memory line.
export { SimBus, superpose } from './bus.js';
export type { SimBusOptions, SimExchange, SimFaults } from './bus.js';
export { SimLine, SIM_TURNAROUND_BITS } from './line.js';
export type { SimLineOptions, SimTimers } from './line.js';
export { BAUD_BY_CI, REPEAT_WINDOW_MS, manufacturerCode, secondaryAddressOf } from './meter.js';
export { MODEL_DEFAULTS } from './models.js';
export type { SimMbusMeter, SimMbusModel, SimReading } from './models.js';
export { simSegment } from './segment.js';
export type { SimSegmentOptions } from './segment.js';
export { VirtualTimers } from './virtual-timers.js';
