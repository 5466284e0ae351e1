-- Scheduled billing exports (M13): a saved format, a group (or all meters), a croner pattern on
-- the utility's wall clock, a cut-off rule and a target (a folder under <DATA_DIR>/exports/ or
-- e-mail recipients). Runs go to job_run with kind 'export:<id>'; AUTOINCREMENT so a new job
-- never takes a deleted job's id and with it that job's history.
create table export_job (
  id integer primary key autoincrement,
  tenant_id integer not null references tenant (id),
  name text not null,
  format_id integer not null references export_format (id),
  group_id integer,               -- null: all meters; a deleted group fails the run by name, never exports all
  cron text not null,             -- croner pattern, 5 or 6 fields (seconds first)
  cutoff text not null check (cutoff in ('run', 'midnight')),
  target text not null check (target in ('folder', 'email')),
  folder text,                    -- relative to <DATA_DIR>/exports/
  recipients text,                -- JSON array of addresses
  enabled integer not null default 1,
  created_by integer references app_user (id),
  created_at integer not null,
  updated_at integer not null
);
create unique index export_job_tenant_name on export_job (tenant_id, name);
create index export_job_format on export_job (format_id);
