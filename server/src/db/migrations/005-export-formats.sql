-- Saved export formats for billing (M13): the designer's definition (columns, separator,
-- decimal mark, date format, widths …) as JSON, validated by server/src/export/format.ts on the
-- way in. A scheduled export job (table job, kind 'export') names a format by id.
create table export_format (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  definition text not null,       -- JSON: ExportFormat
  created_by integer references app_user (id),
  created_at integer not null,
  updated_at integer not null
);
create unique index export_format_tenant_name on export_format (tenant_id, name);
