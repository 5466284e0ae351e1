-- Imports in the Manager (M14): saved column mappings, watched folders, and what a run needs
-- beyond 006 (its folder and the SHA-256 of its file, so a file imported once is not imported again).
create table import_mapping (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  kind text not null,             -- 'customers', 'metering-points', 'meters', 'keys'
  separator text not null default ',',
  mapping text not null,          -- JSON {column: field | null}
  created_at integer not null,
  updated_at integer not null,
  unique (tenant_id, name)
);

create table import_folder (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  path text not null,             -- relative to <DATA_DIR>/imports/
  kind text not null,
  separator text not null default ',',
  mapping_id integer references import_mapping (id) on delete restrict,
  mode text not null default 'all-or-nothing' check (mode in ('all-or-nothing', 'valid-rows')),
  schedule text not null,         -- croner pattern, 5 or 6 fields (seconds first)
  enabled integer not null default 1,
  created_by integer references app_user (id) on delete set null,
  created_at integer not null,
  updated_at integer not null,
  unique (tenant_id, name),
  unique (tenant_id, path)
);

alter table import_run add column folder_id integer references import_folder (id) on delete set null;
alter table import_run add column sha256 text;
create index import_run_sha256 on import_run (tenant_id, sha256);
create index import_run_folder on import_run (folder_id, started_at);
