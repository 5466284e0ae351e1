// The Manager map's data and looks (manager-positions.ts, manager-style.ts): the server's columns
// become typed arrays with make and alarm flags and the extent to fit; clusters are labelled with
// their count; single meters keep the field map's shapes, an active info code outlines them red.
import { describe, expect, it } from 'vitest';
import RegularShape from 'ol/style/RegularShape';
import { ALARM_FLAG, KAMSTRUP_FLAG, positionsPath, toPositions } from '../../../web/src/lib/map/manager-positions';
import { ALARM_OUTLINE, clusterRadius, clusterStyle, countLabel, meterStyle } from '../../../web/src/lib/map/manager-style';
import { MARKERS, OUTLINE } from '../../../web/src/lib/map/route-layer';

describe('toPositions', () => {
  it('packs makes and alarms into flags and finds the extent', () => {
    const p = toPositions({ ids: [4, 9, 12], lon: [9.3, 9.284, -70.25], lat: [56.03, 56.0215, -33.5], kamstrup: [1, 0, 1], alarm: [0, 1, 1] });
    expect([...p.ids]).toEqual([4, 9, 12]);
    expect([...p.flags]).toEqual([KAMSTRUP_FLAG, ALARM_FLAG, KAMSTRUP_FLAG | ALARM_FLAG]);
    expect(p.extent).toEqual([-70.25, -33.5, 9.3, 56.03]);
  });

  it('has no extent without meters', () => {
    expect(toPositions({ ids: [], lon: [], lat: [], kamstrup: [], alarm: [] }).extent).toBeNull();
  });

  it('asks for all meters, a group, or the special groups', () => {
    expect(positionsPath(null)).toBe('/meter-positions');
    expect(positionsPath(17)).toBe('/meter-positions?group=17');
    expect(positionsPath('ungrouped')).toBe('/meter-positions?group=ungrouped');
    expect(positionsPath('last-imported')).toBe('/meter-positions?group=last-imported');
  });
});

describe('looks', () => {
  it('labels clusters short enough for their circle, bigger for more meters', () => {
    expect([2, 999, 1234, 9999, 12_345, 100_000].map(countLabel)).toEqual(['2', '999', '1,234', '9,999', '12k', '100k']);
    expect(clusterRadius(2)).toBeLessThan(clusterRadius(100));
    expect(clusterRadius(100)).toBeLessThan(clusterRadius(100_000));
    expect(clusterStyle(1234).getText()?.getText()).toBe('1,234');
    expect(clusterStyle(1234)).toBe(clusterStyle(1234)); // cached
  });

  it('draws Kamstrup as a blue square, other makes as an orange triangle, an alarm with a red outline', () => {
    const street = 1; // m per pixel: full-size markers
    const kam = meterStyle(KAMSTRUP_FLAG, street).getImage() as RegularShape;
    const other = meterStyle(0, street).getImage() as RegularShape;
    const alarm = meterStyle(KAMSTRUP_FLAG | ALARM_FLAG, street).getImage() as RegularShape;
    expect([kam.getPoints(), kam.getFill()?.getColor(), kam.getStroke()?.getColor()]).toEqual([4, MARKERS.kamstrup.fill, OUTLINE]);
    expect([other.getPoints(), other.getFill()?.getColor(), other.getStroke()?.getColor()]).toEqual([3, MARKERS.other.fill, OUTLINE]);
    expect([alarm.getPoints(), alarm.getFill()?.getColor(), alarm.getStroke()?.getColor()]).toEqual([4, MARKERS.kamstrup.fill, ALARM_OUTLINE]);
    expect(meterStyle(KAMSTRUP_FLAG, street)).toBe(meterStyle(KAMSTRUP_FLAG, street));
  });
});
