-- Field app Send/Receive (issue 5, R1/B1): a device's route, and what went each way.

-- A device's route: the meters of the groups an administrator assigns to it.
create table device_route (
  device_id integer not null references device (id) on delete cascade,
  group_id integer not null references meter_group (id) on delete cascade,
  primary key (device_id, group_id)
) without rowid;
create index device_route_group on device_route (group_id);

-- The last route a device received (the key hand-over itself is in the audit trail).
create table device_sync (
  device_id integer primary key references device (id) on delete cascade,
  route_at integer not null,
  route_meters integer not null,
  route_keys integer not null
);

-- Batches a device sent: one row per client batch id, first and latest attempt.
create table sync_batch (
  device_id integer not null references device (id) on delete cascade,
  batch_id text not null,         -- the app's uuid
  first_at integer not null,
  last_at integer not null,
  frames integer not null,        -- frames this batch id stored (new client ids)
  attempts integer not null,
  primary key (device_id, batch_id)
) without rowid;
create index sync_batch_device_last on sync_batch (device_id, last_at);

-- Every frame a device sent, by the app's client id: a retried frame is known and changes
-- nothing. frame_id is the stored frame it became or merged into (no foreign key: thinning and
-- erasure remove frames; this row keeps no data, only that the frame arrived).
create table sync_frame (
  device_id integer not null references device (id) on delete cascade,
  client_id text not null,        -- the app's uuid
  batch_id text not null,
  digest blob not null,           -- first 8 bytes of SHA-256 of the bytes as sent
  frame_id integer,
  status text not null,           -- the outcome when it arrived: decoded, duplicate, no-key, ...
  reason text,
  at integer not null,
  primary key (device_id, client_id)
) without rowid;
