-- Meter exchanges done in the field (M12, issue 5): one row per exchange the server applied,
-- by the app's client id, so an exchange sent again (a lost answer, a retried Send/Receive) is
-- recognised and changes nothing. Rejected exchanges are not kept: nothing was changed, and the
-- app may send them again once corrected.
-- The meters and the metering point have no foreign keys: deleting a meter (with force) must not
-- be blocked by the record that it was once exchanged; this row keeps no readings itself.
create table field_exchange (
  tenant_id integer not null references tenant (id),
  client_id text not null,          -- the app's uuid, lower case
  device_id integer not null references device (id) on delete cascade,
  content text not null,            -- the exchange as applied, canonical JSON: a re-sent one must match it
  metering_point_id integer not null,
  old_meter_id integer not null,
  new_meter_id integer not null,
  new_meter_created integer not null, -- 1 when the exchange created the new meter (no key yet)
  at integer not null,              -- when the old meter came off and the new one went on
  received_at integer not null,
  primary key (tenant_id, client_id)
) without rowid;
create index field_exchange_device on field_exchange (device_id, received_at);
