import type { PerformanceReport } from './performance.js';
import type { GatewayRow, RouteRow } from './performance-sources.js';
import type { ReportComment } from './report-comments.js';
import { csvDocument, REPORT_METER_CSV_HEADER, reportMeterCsvFields } from './scope.js';

// The reading-performance report (M7) as CSV (RFC 4180 via csvDocument): every row, shares in %
// with a decimal point, instants in ISO 8601 UTC, an empty field where a figure does not apply.

const num = (v: number | null) => (v === null ? '' : String(v));
const iso = (v: number | null) => (v === null ? '' : new Date(v).toISOString());

export function performanceCsv(report: PerformanceReport, comments: Map<number, ReportComment>): string {
  const header = [
    ...REPORT_METER_CSV_HEADER,
    'reading_mode',
    'interval_s',
    'expected_from',
    'received',
    'expected',
    'share_percent',
    'hours_with_value',
    'hours',
    'hour_share_percent',
    'last_reading',
    'poor',
    'comment',
    'comment_by',
    'comment_at'
  ];
  return csvDocument(
    header,
    report.rows.map((r) => {
      const c = comments.get(r.meterId);
      return [
        ...reportMeterCsvFields(r),
        r.readingMode,
        num(r.intervalS),
        iso(r.expectedFrom),
        String(r.received),
        String(r.expected),
        num(r.share),
        num(r.hoursWithValue),
        num(r.hours),
        num(r.hourShare),
        iso(r.lastReadingAt),
        r.poor ? 'yes' : 'no',
        c?.text ?? '',
        c?.author ?? '',
        iso(c?.updatedAt ?? null)
      ];
    })
  );
}

export function gatewaysCsv(rows: GatewayRow[]): string {
  return csvDocument(
    ['gateway', 'frames', 'messages', 'meters', 'expected', 'share_percent', 'last_reception'],
    rows.map((r) => [r.source, String(r.frames), String(r.messages), String(r.meters), String(r.expected), num(r.share), iso(r.lastAt)])
  );
}

export function routesCsv(rows: RouteRow[]): string {
  return csvDocument(
    ['device_id', 'device', 'groups', 'meters', 'heard', 'read', 'messages', 'share_percent', 'last_reception'],
    rows.map((r) => [
      String(r.deviceId),
      r.device,
      r.groups.map((g) => g.name).join('; '),
      String(r.meters),
      String(r.heard),
      String(r.read),
      String(r.messages),
      num(r.share),
      iso(r.lastAt)
    ])
  );
}
