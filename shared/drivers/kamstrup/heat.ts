// Kamstrup heat/cooling meters MULTICAL 302/303/402/403/602/603/803 (wM-Bus C1 and T1/OMS).
// One family: the same registers (protocols.md §4.4; datagram content is chosen per order, so
// every field is optional) and one driver per model because the info code differs (§4.5.1).
// Identification: §4.1. KMP register numbers in labels are those wmbusmeters' kamheat.xmq quotes.

import type { DriverExample, DriverMatch, FieldSpec, StatusTable } from '../define.js';
import { defineDriver } from '../define.js';
import { kamstrupHeatInfo16, kamstrupHeatInfo32, kamstrupHeatInfoNarrow } from './info-codes.js';

export const kamstrupHeatFields = {
  energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'E1 heat energy [60]' },
  cooling: { quantity: 'energy', select: { vif: 'energy', direction: 'backward' }, label: 'E3 cooling energy [63]' },
  volume: { quantity: 'volume', select: { vif: 'volume' }, label: 'V1 volume [68]' },
  flow: { quantity: 'flow', select: { vif: 'volume-flow' }, label: 'V1 actual flow [74]' },
  power: { quantity: 'power', select: { vif: 'power' }, label: 'Actual power [80]' },
  maxPower: { quantity: 'power', select: { vif: 'power', fn: 'maximum' }, label: 'Maximum power' },
  maxFlow: { quantity: 'flow', select: { vif: 'volume-flow', fn: 'maximum' }, label: 'Maximum flow' },
  flowTemperature: { quantity: 'temperature', select: { vif: 'flow-temperature' }, label: 't1 flow temperature [86]' },
  returnTemperature: { quantity: 'temperature', select: { vif: 'return-temperature' }, label: 't2 return temperature [87]' },
  temperatureDifference: {
    quantity: 'temperature-difference',
    select: { vif: 'temperature-difference' },
    label: 't1-t2 [89]',
  },
  // E8 = Σ m³·t1, E9 = Σ m³·t2: manufacturer VIFs, kept as the meter counts them.
  forwardEnergy: { quantity: 'number', select: { difvif: '04FF07' }, unit: 'm3·°C', label: 'E8 m3·t1 [97]' },
  returnEnergy: { quantity: 'number', select: { difvif: '04FF08' }, unit: 'm3·°C', label: 'E9 m3·t2 [110]' },
  meterDate: { quantity: 'date', select: { vif: 'time-point' }, label: 'Meter date [348]' },
  targetDate: { quantity: 'date', select: { vif: 'time-point', storage: 1 }, label: 'Target (billing) date' },
  targetEnergy: { quantity: 'energy', select: { vif: 'energy', storage: 1 }, label: 'E1 at target date' },
  targetVolume: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'V1 at target date' },
  // §3.1 / §4.4: pulse inputs A and B are sub-units 1 and 2; TA2/TA3 are tariffs 1 and 2.
  inputA: { quantity: 'volume', select: { vif: 'volume', subunit: 1 }, label: 'Pulse input A' },
  inputB: { quantity: 'volume', select: { vif: 'volume', subunit: 2 }, label: 'Pulse input B' },
  targetInputA: { quantity: 'volume', select: { vif: 'volume', subunit: 1, storage: 1 }, label: 'Input A at target date' },
  targetInputB: { quantity: 'volume', select: { vif: 'volume', subunit: 2, storage: 1 }, label: 'Input B at target date' },
  tariff2Energy: { quantity: 'energy', select: { vif: 'energy', tariff: 1 }, label: 'TA2 tariff register' },
  tariff3Energy: { quantity: 'energy', select: { vif: 'energy', tariff: 2 }, label: 'TA3 tariff register' },
  onTime: { quantity: 'duration', select: { vif: 'on-time' }, label: 'Operating hours' },
  onTimeError: { quantity: 'duration', select: { vif: 'on-time', fn: 'error' }, label: 'Hours in error state' },
  operatingTime: { quantity: 'duration', select: { vif: 'operating-time' }, label: 'Operating time' },
  fabricationNumber: { quantity: 'text', select: { vif: 'fabrication-number' }, label: 'Fabrication number' },
} as const satisfies Record<string, FieldSpec>;

function infoCode(status: StatusTable, ...difvifs: string[]): FieldSpec {
  return { quantity: 'flags', select: difvifs.map((difvif) => ({ difvif })), status, label: 'Info code [99]' };
}

// Heat 04, cooling 0A/0B, heat at inlet 0C, heat/cooling 0D (§1.5, §4.1).
function heatMeter(
  id: string,
  name: string,
  match: DriverMatch[],
  extra: Record<string, FieldSpec>,
  examples: DriverExample[] = [],
) {
  return defineDriver({
    id,
    name,
    aliases: [id.replace('kamstrup-', '')],
    medium: 'heat',
    match,
    primary: 'energy',
    fields: { ...kamstrupHeatFields, ...extra },
    examples,
  });
}

const MC403_LONG =
  '56442D2C99480571340C8D2019708C8322C88F780406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B00000000' +
  '02598F0C025D920D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121';
const MC403_COOLING_LONG =
  '88442D2C02017878340A8D208D529C132037FC78040E2D0A000004FF07F8FF000004FF08401801000413C190050084401400000000' +
  '8480401400000000043BED0000000259BC06025DCD07142DE7FFFFFF84100E0000000084200E0000000004FF2200000000026C9228' +
  '440E5F0300004413960D0200C4401400000000C480401400000000426C8128';
const MC302_LONG = '2E442D2C1376946730048D20EA00A80B20E1347803068E010043060000000314CA0900426CFFFF022D010001FF2100';

export const multical302 = heatMeter(
  'kamstrup-multical302',
  'Kamstrup MULTICAL 302',
  [{ mfct: 'KAM', version: 0x30, type: [0x04, 0x0c, 0x0d] }],
  // `01 FF 21`: 8-bit info code whose bits are not documented openly (§11 question 8): raw only.
  { infoCode: { quantity: 'number', select: { difvif: '01FF21' }, label: 'Info code (undocumented bits)' } },
  [
    {
      note: 'C1 long frame',
      source: 'protocols.md TV-8 MULTICAL 302',
      hex: MC302_LONG,
      id: '67947613',
      expect: { energy: [398, 'kWh'], volume: [25.06, 'm3'], power: [0.1, 'kW'], targetEnergy: [0, 'kWh'], targetDate: null },
    },
    {
      note: 'C1 compact frame, FSIG E7 F1 (the doc gives the values once for the pair; data bytes equal)',
      source: 'protocols.md TV-8 MULTICAL 302',
      hex: '25442D2C1376946730048D20E9F1A70B20154D79E7F1887F8E0100000000CA0900FFFF010000',
      context: [MC302_LONG],
      id: '67947613',
      expect: { energy: [398, 'kWh'], volume: [25.06, 'm3'], power: [0.1, 'kW'], targetEnergy: [0, 'kWh'], targetDate: null },
    },
  ],
);

export const multical303 = heatMeter(
  'kamstrup-multical303',
  'Kamstrup MULTICAL 303',
  [{ mfct: 'KAM', version: 0x40, type: [0x04, 0x0c, 0x0d] }],
  { status: infoCode(kamstrupHeatInfo16, '02FF22', '04FF22') },
  [
    {
      note: 'C1 long frame, wrong flow direction',
      source: 'protocols.md TV-8 MULTICAL 303 wrong flow direction',
      hex:
        '52442d2c1269078340048d2067e08d1620d2ca7804060000000004140000000004ff070000000004ff080000000002592618' +
        '025d2816023B000002ff220002026c393B440600000000441400000000426c213B',
      expect: {
        flowTemperature: [61.82, '°C'],
        returnTemperature: [56.72, '°C'],
        meterDate: '2025-11-25',
        status: ['V1 wrong flow direction'],
      },
      alarms: [{ kind: 'reverse-flow', where: 'V1', active: true }],
    },
    {
      note: 'T1/OMS, short TPL header, mode 5, pre-decrypted',
      source: 'protocols.md TV-8 T1/OMS style',
      hex:
        '5E442D2C78787878400C7A6E0050252F2F04056C2B000004138A0B070004FF07C657020004FF08FD36020002594B09025DFA08' +
        '023B000002FF220000026CF42144052F000000441302AD0000426CE1212F2F2F2F2F2F2F2F2F2F2F2F2F2F2F',
      expect: {
        energy: [1111.6, 'kWh'],
        volume: [461.706, 'm3'],
        flowTemperature: [23.79, '°C'],
        returnTemperature: [22.98, '°C'],
        meterDate: '2023-01-20',
        targetDate: '2023-01-01',
      },
      alarms: [],
    },
  ],
);

export const multical402 = heatMeter(
  'kamstrup-multical402',
  'Kamstrup MULTICAL 402',
  [{ mfct: 'KAM', version: 0x19, type: 0x04 }],
  { status: infoCode(kamstrupHeatInfoNarrow, '02FD17') },
);

export const multical403 = heatMeter(
  'kamstrup-multical403',
  'Kamstrup MULTICAL 403',
  [{ mfct: 'KAM', version: 0x34, type: [0x04, 0x0a, 0x0b, 0x0c, 0x0d] }],
  { status: infoCode(kamstrupHeatInfo16, '04FF22', '02FF22') },
  [
    {
      note: 'C1 long frame, heat at inlet',
      source: 'protocols.md TV-8 MULTICAL 403',
      hex: MC403_LONG,
      id: '71054899',
      expect: {
        energy: [32175, 'kWh'], volume: [3591.16, 'm3'], flow: [0, 'm3/h'],
        flowTemperature: [32.15, '°C'], returnTemperature: [34.74, '°C'],
        forwardEnergy: [153189, 'm3·°C'], returnEnergy: [124887, 'm3·°C'],
        meterDate: '2022-01-31', targetDate: '2022-01-01',
        targetEnergy: [32175, 'kWh'], targetVolume: [3591.16, 'm3'], status: [],
      },
      alarms: [],
    },
    {
      note: 'C1 compact frame, FSIG 4D B3',
      source: 'protocols.md TV-8 MULTICAL 403',
      hex: '3F442D2C99480571340C8D201B728C8322BE3D794DB3E88DAF7D000065560200D7E70100CC7A050000000000810C930D00000000DF21AF7D0000CC7A0500C121',
      context: [MC403_LONG],
      id: '71054899',
      expect: {
        energy: [32175, 'kWh'], volume: [3591.16, 'm3'], flow: [0, 'm3/h'],
        flowTemperature: [32.01, '°C'], returnTemperature: [34.75, '°C'],
        forwardEnergy: [153189, 'm3·°C'], returnEnergy: [124887, 'm3·°C'],
        meterDate: '2022-01-31', targetDate: '2022-01-01',
        targetEnergy: [32175, 'kWh'], targetVolume: [3591.16, 'm3'], status: [],
      },
      alarms: [],
    },
    {
      note: 'C1 long frame, cooling (type 0A), energy in MJ, negative max power',
      source: 'protocols.md TV-8 MULTICAL 403 cooling',
      hex: MC403_COOLING_LONG,
      expect: {
        energy: [723.611111, 'kWh'], volume: [364.737, 'm3'], flow: [0.237, 'm3/h'],
        flowTemperature: [17.24, '°C'], returnTemperature: [19.97, '°C'], maxPower: [-2.5, 'kW'],
        targetEnergy: [239.722222, 'kWh'], targetVolume: [134.55, 'm3'],
        meterDate: '2020-08-18', targetDate: '2020-08-01',
      },
    },
    {
      note: 'C1 compact frame, cooling, FSIG 34 14',
      source: 'protocols.md TV-8 MULTICAL 403 cooling',
      hex:
        '5B442D2C02017878340A8D2096809C1320EF2B7934147ED72D0A0000FAFF000043180100CE9005000000000000000000EE00' +
        '0000BA06CB07E7FFFFFF00000000000000000000000092285F030000960D020000000000000000008128',
      context: [MC403_COOLING_LONG],
      expect: {
        volume: [364.75, 'm3'], flow: [0.238, 'm3/h'],
        flowTemperature: [17.22, '°C'], returnTemperature: [19.95, '°C'],
      },
    },
    {
      note: 'wired M-Bus RSP_UD',
      source: 'protocols.md TV-10 (wmbusmeters simulations/simulation_mbus.txt), decode §3.8',
      link: 'mbus',
      hex:
        '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f0200' +
        '0002593c19025da41104ff220000000004a5ff21c7d02700d916',
      id: '77447744',
      expect: {
        energy: [34510, 'kWh'], volume: [2232.49, 'm3'], flow: [0.527, 'm3/h'],
        flowTemperature: [64.6, '°C'], returnTemperature: [45.16, '°C'],
        forwardEnergy: [148532, 'm3·°C'], returnEnergy: [118520, 'm3·°C'],
        operatingTime: [43489.183333, 'h'], status: [],
      },
      alarms: [],
    },
  ],
);

export const multical602 = heatMeter(
  'kamstrup-multical602',
  'Kamstrup MULTICAL 602',
  [{ mfct: 'KAM', version: 0x1c, type: 0x04 }],
  {
    status: infoCode(kamstrupHeatInfoNarrow, '02FD17'),
    // §4.4: pulse counters VA / VB of the MULTICAL 602 (manufacturer VIFE after HCA VIF).
    pulseCounterA: { quantity: 'number', select: { difvif: '04EEFF07' }, label: 'Pulse counter VA' },
    pulseCounterB: { quantity: 'number', select: { difvif: '04EEFF08' }, label: 'Pulse counter VB' },
  },
);

export const multical603 = heatMeter(
  'kamstrup-multical603',
  'Kamstrup MULTICAL 603',
  [{ mfct: 'KAM', version: 0x35, type: [0x04, 0x0c] }],
  { status: infoCode(kamstrupHeatInfo16, '04FF22', '02FF22') },
  [
    {
      note: 'wired M-Bus RSP_UD, energy in 0.1 MWh (FB 00)',
      source: 'protocols.md TV-11 (wmbusmeters kamheat.xmq test "Kamstrup_MC603_mbus")',
      link: 'mbus',
      hex:
        '68c9c96808e672323232322d2c35041900000004fB006083000004ff074006010004ff08299400000416984e010084401400' +
        '000000848040140000000004225043000034221c0000000259c91f025d4f1102617a0e042e30020000142e65030000043c24' +
        '050000143ce308000004ff2200000000046d2e2B0f3144fB00007d000044ff07Bdf9000044ff08308d00004416B73f0100c4' +
        '401400000000c480401400000000542ed9020000543ce8090000426c013102ff1a011B0c783032858404ff16e5841e0004ff' +
        '17c1d5B400a516',
      id: '32323232',
      expect: {
        energy: [3363200, 'kWh'], volume: [85656, 'm3'], flow: [13.16, 'm3/h'],
        power: [560, 'kW'], maxPower: [869, 'kW'], maxFlow: [22.75, 'm3/h'],
        flowTemperature: [81.37, '°C'], returnTemperature: [44.31, '°C'], temperatureDifference: [37.06, 'K'],
        onTime: [17232, 'h'], onTimeError: [28, 'h'],
        meterDate: '2024-01-15T11:46', targetDate: '2024-01-01',
        targetEnergy: [3200000, 'kWh'], targetVolume: [81847, 'm3'],
        forwardEnergy: [67136, 'm3·°C'], returnEnergy: [37929, 'm3·°C'],
        fabricationNumber: '84853230', status: [],
      },
      alarms: [],
    },
  ],
);

export const multical803 = heatMeter(
  'kamstrup-multical803',
  'Kamstrup MULTICAL 803',
  [{ mfct: 'KAM', version: 0x39, type: 0x04 }],
  { status: infoCode(kamstrupHeatInfo32, '04FF22') },
  [
    {
      note: 'C1 long frame with info bits',
      source: 'protocols.md TV-8 MULTICAL 803 with info bits',
      hex:
        '88442D2C8180808039048D208640513220EA7978040FA000000004FF070200000004FF08090000000414FF000000844014000000' +
        '008480401400000000043B0000000002590000025D0000142D0000000084100F0000000084200F0000000004FF2260000100026C' +
        '892B440F00000000441400000000C4401400000000C480401400000000426C812B',
      expect: {
        energy: [444.444444, 'kWh'],
        volume: [2.55, 'm3'],
        status: ['t1 below range', 't2 below range', 'V1 communication error'],
      },
      alarms: [
        { kind: 'sensor-error', where: 't1', detail: 'short' },
        { kind: 'sensor-error', where: 't2', detail: 'short' },
        { kind: 'hardware-error', where: 'V1' },
      ],
    },
  ],
);

export const kamstrupHeatDrivers = [
  multical302, multical303, multical402, multical403, multical602, multical603, multical803,
] as const;
