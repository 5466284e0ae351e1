import type { Resolution } from '../../../shared/consumption.js';
import type { PointConsumption } from '../store/readings.js';
import { formatValue, periodLabel } from '../../../shared/consumption-labels.js';
import { csvField } from '../export/csv-field.js';

// The consumer report (M2) as it goes out by e-mail: the same rows three ways, an HTML page with
// a chart that needs no script (inline SVG bars, which mail clients show), plain text, and a CSV
// attachment. The Manager's print page renders the same API numbers in the browser.

export interface ReportSubject {
  customer: { name: string; number: string | null } | null;
  point: { id: number; number: string | null; address: string; postalCode: string | null; city: string | null };
  /** Meters installed at the point during the period, newest first. */
  meters: { manufacturer: string; serial: string; from: number; to: number | null }[];
  /** The utility's name, as the sender of the report. */
  utility: string;
}

export interface ReportContent {
  subject: string;
  text: string;
  html: string;
  csv: string;
  filename: string;
}

interface Row {
  label: string;
  value: number | null;
  notes: string;
}

export { formatValue, periodLabel };

function notesOf(b: PointConsumption['buckets'][number]): string {
  const n: string[] = [];
  if (b.exchange) n.push('meter exchange');
  if (b.rollover) n.push('register rollover');
  if (b.reset) n.push('register reset');
  if (b.info?.length) n.push('info codes');
  return n.join(', ');
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function svgChart(rows: Row[], unit: string): string {
  const w = 640;
  const h = 180;
  const max = Math.max(0, ...rows.map((r) => r.value ?? 0)) || 1;
  const bw = w / Math.max(rows.length, 1);
  const bars = rows
    .map((r, i) => {
      const v = Math.max(0, r.value ?? 0);
      const bh = (v / max) * (h - 20);
      return `<rect x="${(i * bw + bw * 0.1).toFixed(2)}" y="${(h - bh).toFixed(2)}" width="${Math.max(bw * 0.8, 0.5).toFixed(2)}" height="${bh.toFixed(2)}" fill="${r.notes ? '#b54708' : '#0b5cad'}"/>`;
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="Consumption per period, highest ${formatValue(max, unit)} ${unit}">` +
    `<line x1="0" y1="${h}" x2="${w}" y2="${h}" stroke="#5b6470"/>${bars}</svg>`
  );
}

export function consumerReport(s: ReportSubject, c: PointConsumption, from: number, to: number): ReportContent {
  const rows: Row[] = c.buckets.map((b) => ({ label: periodLabel(b.from, c.resolution, c.timeZone), value: b.value, notes: notesOf(b) }));
  // `to` is exclusive: the period ends with the day before it, as the print page says
  const period = `${periodLabel(from, 'day', c.timeZone)} to ${periodLabel(to - 1, 'day', c.timeZone)}`;
  const place = [s.point.address, [s.point.postalCode, s.point.city].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  const total = `${formatValue(c.total, c.unit)} ${c.unit}`;
  const identity: [string, string][] = [
    ['Consumer', s.customer ? `${s.customer.name}${s.customer.number ? ` (customer ${s.customer.number})` : ''}` : 'none recorded'],
    ['Metering point', `${place}${s.point.number ? ` (no. ${s.point.number})` : ''}`],
    [
      'Meters',
      s.meters.map((m) => `${m.manufacturer} ${m.serial} from ${periodLabel(m.from, 'day', c.timeZone)}${m.to ? ` to ${periodLabel(m.to, 'day', c.timeZone)}` : ''}`).join('; ') ||
        'none'
    ],
    ['Period', `${period}, per ${c.resolution} (${c.timeZone})`],
    [`Total ${c.register}`, total]
  ];
  const subject = `Consumption report: ${s.point.address}, ${period}`;

  const text = [
    `${subject}`,
    '',
    ...identity.map(([k, v]) => `${k}: ${v}`),
    '',
    `Period\tConsumption (${c.unit})\tNotes`,
    ...rows.map((r) => `${r.label}\t${r.value === null ? '-' : formatValue(r.value, c.unit)}\t${r.notes}`),
    '',
    `Sent by ${s.utility} with Readout. The same rows are attached as a CSV file.`
  ].join('\n');

  const html =
    `<!doctype html><html><body style="font-family:system-ui,sans-serif;color:#1b1f24">` +
    `<h1 style="font-size:20px">${escapeHtml(subject)}</h1>` +
    `<table style="border-collapse:collapse;margin-bottom:16px">${identity
      .map(([k, v]) => `<tr><th style="text-align:left;padding:2px 12px 2px 0">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
      .join('')}</table>` +
    svgChart(rows, c.unit) +
    `<table style="border-collapse:collapse;margin-top:16px"><thead><tr>` +
    `<th style="text-align:left;border-bottom:1px solid #999;padding:2px 12px 2px 0">Period</th>` +
    `<th style="text-align:right;border-bottom:1px solid #999;padding:2px 12px">Consumption (${c.unit})</th>` +
    `<th style="text-align:left;border-bottom:1px solid #999">Notes</th></tr></thead><tbody>` +
    rows
      .map(
        (r) =>
          `<tr><td style="padding:2px 12px 2px 0">${r.label}</td><td style="text-align:right;padding:2px 12px">${r.value === null ? '–' : formatValue(r.value, c.unit)}</td><td>${escapeHtml(r.notes)}</td></tr>`
      )
      .join('') +
    `</tbody><tfoot><tr><th style="text-align:left;border-top:1px solid #999">Total</th><th style="text-align:right;border-top:1px solid #999;padding:2px 12px">${formatValue(c.total, c.unit)}</th><td style="border-top:1px solid #999"></td></tr></tfoot></table>` +
    `<p style="color:#5b6470">Sent by ${escapeHtml(s.utility)} with Readout. The same rows are attached as a CSV file.</p></body></html>`;

  const csv =
    [`period,consumption_${c.unit},notes`, ...rows.map((r) => [r.label, r.value === null ? '' : formatValue(r.value, c.unit), csvField(r.notes)].join(','))].join(
      '\r\n'
    ) + '\r\n';
  const filename = `consumption-${s.point.number ?? s.point.id}-${periodLabel(from, 'day', c.timeZone)}-${c.resolution}.csv`;
  return { subject, text, html, csv, filename };
}
