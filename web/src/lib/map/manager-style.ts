// How the Manager map draws (M1): clusters as dark circles with their count, single meters with
// the field map's markers (route-layer.ts: Kamstrup a blue square, other makes an orange triangle,
// white outline); a meter with an active info code gets a red outline instead. One Style object
// per distinct look: OL draws each once and copies it.
import Circle from 'ol/style/Circle';
import Fill from 'ol/style/Fill';
import RegularShape from 'ol/style/RegularShape';
import Stroke from 'ol/style/Stroke';
import Style from 'ol/style/Style';
import Text from 'ol/style/Text';
import { ALARM_FLAG, KAMSTRUP_FLAG } from './manager-positions';
import { markerSpec } from './route-layer';

export const CLUSTER_FILL = '#1f2a37';
export const ALARM_OUTLINE = '#d1001f';

/** "7", "1,234", "12k": a cluster's label stays short enough for its circle. */
export function countLabel(count: number): string {
  if (count < 10_000) return count.toLocaleString('en-US');
  return `${Math.round(count / 1000)}k`;
}

/** Circle radius in CSS px: grows with the number of digits, so counts fit and big clusters stand out. */
export function clusterRadius(count: number): number {
  return Math.round(12 + 4 * Math.log10(Math.max(count, 1)));
}

const clusterStyles = new Map<string, Style>();
const meterStyles = new Map<string, Style>();

export function clusterStyle(count: number): Style {
  const label = countLabel(count);
  let style = clusterStyles.get(label);
  if (!style) {
    if (clusterStyles.size > 5_000) clusterStyles.clear(); // bounded: labels repeat across views
    style = new Style({
      image: new Circle({ radius: clusterRadius(count), fill: new Fill({ color: CLUSTER_FILL }), stroke: new Stroke({ color: '#ffffff', width: 2 }) }),
      text: new Text({ text: label, font: '600 12px system-ui, sans-serif', fill: new Fill({ color: '#ffffff' }) })
    });
    clusterStyles.set(label, style);
  }
  return style;
}

export function meterStyle(flags: number, resolution: number): Style {
  const spec = markerSpec(flags & KAMSTRUP_FLAG ? 'kamstrup' : 'other', resolution);
  const alarm = (flags & ALARM_FLAG) !== 0;
  const key = `${spec.points}:${spec.radius}:${spec.strokeWidth}:${alarm ? 1 : 0}`;
  let style = meterStyles.get(key);
  if (!style) {
    const { points, angle, radius, fill, stroke, strokeWidth } = spec;
    style = new Style({
      image: new RegularShape({
        points,
        angle,
        radius,
        fill: new Fill({ color: fill }),
        stroke: new Stroke({ color: alarm ? ALARM_OUTLINE : stroke, width: alarm ? strokeWidth + 1 : strokeWidth })
      })
    });
    meterStyles.set(key, style);
  }
  return style;
}
