-- Wired M-Bus (R5, M11; protocols.md §8): a system is one cable segment behind an M-Bus master
-- (a gateway on the LAN or a level converter on the server's serial port); its devices are the
-- meters a scan found on it; a run is one scan or read of the segment, with its progress and
-- per-meter errors (the last few per system are kept). AUTOINCREMENT so a new system or run never
-- takes a deleted one's id.
create table mbus_system (
  id integer primary key autoincrement,
  tenant_id integer not null references tenant (id),
  name text not null,
  transport text not null check (transport in ('tcp', 'serial')),
  address text not null,          -- 'host:port' (tcp) or a device path such as '/dev/ttyUSB0' (serial)
  baud integer not null check (baud in (300, 2400, 9600)),
  addressing text not null check (addressing in ('primary', 'secondary')),
  schedule text,                  -- croner pattern of scheduled reads; null: read on request only
  enabled integer not null default 1,
  created_at integer not null,
  updated_at integer not null
);
create unique index mbus_system_tenant_name on mbus_system (tenant_id, name);

-- A meter found on a system. A re-scan finds the same row again: by its secondary address
-- (unique per system when known) or, for meters found by a primary scan, by its primary address.
create table mbus_device (
  id integer primary key autoincrement,
  tenant_id integer not null references tenant (id),
  system_id integer not null references mbus_system (id) on delete cascade,
  found_by text not null check (found_by in ('primary', 'secondary')),
  primary_address integer check (primary_address between 0 and 255),
  secondary text,                 -- 16 hex characters IIIIIIIIMMMMVVTT (protocols.md §8.5)
  manufacturer text,              -- 'KAM'
  serial text,                    -- the 8-digit id as printed
  version integer,
  device_type integer,
  meter_id integer references meter (id) on delete set null,
  last_read_at integer,
  last_error text,
  valve_profile text,             -- valve profile id (M11); null: no valve known
  valve_state text check (valve_state in ('open', 'closed', 'unknown')),
  valve_at integer,
  created_at integer not null,
  updated_at integer not null
);
create unique index mbus_device_secondary on mbus_device (system_id, secondary) where secondary is not null;
create unique index mbus_device_primary on mbus_device (system_id, primary_address) where found_by = 'primary';
create index mbus_device_meter on mbus_device (meter_id);

create table mbus_run (
  id integer primary key autoincrement,
  tenant_id integer not null references tenant (id),
  system_id integer not null references mbus_system (id) on delete cascade,
  kind text not null check (kind in ('scan', 'read')),
  mode text check (mode in ('primary', 'secondary')),  -- a scan's kind of search
  state text not null check (state in ('running', 'done', 'failed', 'cancelled')),
  done integer not null default 0,
  total integer not null default 0,
  found integer not null default 0,
  errors text not null default '[]',  -- JSON [{deviceId, address, message}]
  message text,
  started_at integer not null,
  finished_at integer
);
create index mbus_run_system on mbus_run (system_id, id);

-- How a stored frame is decoded again: wireless M-Bus (EN 13757-4 link layer) or a wired RSP_UD
-- (EN 13757-2 long frame). Frames stored before this migration are all wireless.
alter table frame add column link text not null default 'wmbus' check (link in ('wmbus', 'mbus'));
