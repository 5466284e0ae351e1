-- Import runs (M14): one row per CSV or key-file import, ad hoc or from a watched folder, with
-- its counts and every rejected line, so the Manager can show a result page later. The meters
-- an import created or changed back the "Last imported" entry of the group panel (M3).
create table import_run (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  kind text not null,             -- 'customers', 'metering-points', 'meters', 'keys', 'kem', ...
  source text not null,           -- the file name, or the folder path for a scheduled import
  trigger text not null default 'manual' check (trigger in ('manual', 'scheduled')),
  user_id integer references app_user (id),
  started_at integer not null,
  finished_at integer,
  status text not null check (status in ('ok', 'partial', 'failed')),
  summary text,                   -- JSON counts: {rows, created, updated, unchanged, rejected}
  rejected text,                  -- JSON array of {line, reason}
  message text                    -- why a failed run failed
);
create index import_run_tenant_started on import_run (tenant_id, started_at);

create table import_run_meter (
  run_id integer not null references import_run (id) on delete cascade,
  meter_id integer not null references meter (id) on delete cascade,
  primary key (run_id, meter_id)
) without rowid;
create index import_run_meter_meter on import_run_meter (meter_id);
