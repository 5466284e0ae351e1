-- The Manager's data (architecture.md "Data model"): every row belongs to a tenant.
-- Instants are UTC milliseconds since the epoch. SQL kept to what PostgreSQL also runs, except
-- `without rowid` and `integer primary key` (identity columns there), which a PostgreSQL store maps.

-- Permission matrix (M20): administrators edit what 'user' and 'superuser' may do; an
-- administrator may do everything. No rows for a tenant means the built-in defaults.
create table role_permission (
  tenant_id integer not null references tenant (id),
  role text not null check (role in ('user', 'superuser')),
  permission text not null,
  primary key (tenant_id, role, permission)
);

-- Failed sign-ins, for throttling by login and by client address.
create table login_failure (
  subject text not null,          -- 'login:<name>' or 'ip:<address>'
  at integer not null
);
create index login_failure_subject_at on login_failure (subject, at);
create index login_failure_at on login_failure (at);   -- pruning rows older than the window

-- API tokens (M16): scoped, revocable, only the SHA-256 of the secret is stored.
create table api_token (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  token_hash text not null unique,
  scopes text not null,           -- JSON array of permissions
  created_by integer references app_user (id),
  created_at integer not null,
  expires_at integer,
  revoked_at integer,
  last_used_at integer
);
create index api_token_tenant on api_token (tenant_id);

-- Field devices: register, an administrator authorises, only then keys (M17).
create table device (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  token_hash text not null unique,
  user_agent text,
  registered_at integer not null,
  registered_by integer references app_user (id),
  authorised_at integer,
  authorised_by integer references app_user (id),
  revoked_at integer,
  last_seen_at integer
);
create index device_tenant on device (tenant_id);

create table customer (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  number text,                    -- the billing system's customer number
  name text not null,
  email text,
  phone text,
  created_at integer not null,
  updated_at integer not null
);
create unique index customer_tenant_number on customer (tenant_id, number);
create index customer_tenant_name on customer (tenant_id, name);

create table metering_point (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  customer_id integer references customer (id),
  number text,                    -- installation / metering point number
  address text not null,
  postal_code text,
  city text,
  lat real,
  lon real,
  created_at integer not null,
  updated_at integer not null
);
create unique index metering_point_tenant_number on metering_point (tenant_id, number);
create index metering_point_tenant_address on metering_point (tenant_id, address);
create index metering_point_tenant_postal_code on metering_point (tenant_id, postal_code);
create index metering_point_customer on metering_point (customer_id);

create table meter (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  manufacturer text not null,     -- 'KAM'
  serial text not null,           -- the 8-digit wM-Bus / M-Bus id as printed
  version integer,
  device_type integer,
  medium text,                    -- 'heat', 'water', 'electricity', ...
  model text,                     -- 'MULTICAL 603'; driver id in driver
  driver text,
  reading_mode text not null default 'drive-by'
    check (reading_mode in ('drive-by', 'fixed-network', 'point-to-point', 'wired', 'optical')),
  interval_s integer,             -- transmission interval: 16 drive-by, 96 fixed network, 900 T1 ...
  created_at integer not null,
  updated_at integer not null
);
create unique index meter_tenant_identity on meter (tenant_id, manufacturer, serial);
create index meter_serial on meter (serial);
create index meter_tenant_serial on meter (tenant_id, serial);

-- Which meter sits at which metering point, from..to: a meter exchange (M12) closes one row and
-- opens another, so the old meter's history stays with the point.
create table installation (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  meter_id integer not null references meter (id),
  metering_point_id integer not null references metering_point (id),
  from_at integer not null,
  to_at integer
);
create index installation_point on installation (metering_point_id, from_at);
create index installation_meter on installation (meter_id, from_at);
-- At most one current installation per meter and per metering point.
create unique index installation_meter_current on installation (meter_id) where to_at is null;
create unique index installation_point_current on installation (metering_point_id) where to_at is null;

create table meter_group (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  created_at integer not null
);
create unique index meter_group_tenant_name on meter_group (tenant_id, name);

create table group_member (
  group_id integer not null references meter_group (id) on delete cascade,
  meter_id integer not null references meter (id) on delete cascade,
  primary key (group_id, meter_id)
) without rowid;
create index group_member_meter on group_member (meter_id);

-- Key vault (M17): AES-256-GCM under the master key; ciphertext = 16-byte key + 16-byte tag.
create table meter_key (
  meter_id integer primary key references meter (id) on delete cascade,
  tenant_id integer not null references tenant (id),
  nonce blob not null,
  ciphertext blob not null,
  source text not null,           -- 'manual', 'csv', 'kem', ...
  created_at integer not null,
  updated_at integer not null
);
create index meter_key_tenant on meter_key (tenant_id);

-- Meter list and search (M1 at 100,000 meters). Sorting by customer or address and "contains"
-- searches would otherwise join and scan every meter of the tenant, so two derived tables are kept
-- in sync by triggers from one view: meter_listing (the sort keys, indexed) and meter_search (a
-- trigram full-text row of everything a search may match: meter, current metering point and
-- customer). SQLite only: a PostgreSQL store uses a pg_trgm index over the same view instead.
create view meter_search_source as
select m.id as meter_id, m.tenant_id, c.name as customer_name, p.address, p.postal_code,
       concat_ws(' ', m.manufacturer, m.serial, m.model, m.medium, c.number, c.name,
                 p.number, p.address, p.postal_code, p.city) as text
  from meter m
  left join installation i on i.meter_id = m.id and i.to_at is null
  left join metering_point p on p.id = i.metering_point_id
  left join customer c on c.id = p.customer_id;

create table meter_listing (
  meter_id integer primary key,   -- = meter.id; rows follow meter by trigger
  tenant_id integer not null,
  customer_name text,
  address text,
  postal_code text
);
create index meter_listing_customer on meter_listing (tenant_id, customer_name);
create index meter_listing_address on meter_listing (tenant_id, address);
create index meter_listing_postal_code on meter_listing (tenant_id, postal_code);
create index meter_tenant_type on meter (tenant_id, medium, model);

create virtual table meter_search using fts5 (text, tokenize = 'trigram');

create trigger meter_search_meter_insert after insert on meter begin
  insert into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source where meter_id = new.id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = new.id;
end;
create trigger meter_search_meter_update after update of manufacturer, serial, model, medium on meter begin
  delete from meter_search where rowid = old.id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = new.id;
end;
create trigger meter_search_meter_delete after delete on meter begin
  delete from meter_listing where meter_id = old.id;
  delete from meter_search where rowid = old.id;
end;
-- an installation opened, closed or removed changes the meter's current point and customer
create trigger meter_search_installation_insert after insert on installation begin
  insert or replace into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source where meter_id = new.meter_id;
  delete from meter_search where rowid = new.meter_id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = new.meter_id;
end;
create trigger meter_search_installation_update after update on installation begin
  insert or replace into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source where meter_id in (old.meter_id, new.meter_id);
  delete from meter_search where rowid in (old.meter_id, new.meter_id);
  insert into meter_search (rowid, text)
    select meter_id, text from meter_search_source where meter_id in (old.meter_id, new.meter_id);
end;
create trigger meter_search_installation_delete after delete on installation begin
  insert or replace into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source where meter_id = old.meter_id;
  delete from meter_search where rowid = old.meter_id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = old.meter_id;
end;
create trigger meter_search_point_update after update on metering_point begin
  insert or replace into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source
   where meter_id in (select meter_id from installation where metering_point_id = new.id and to_at is null);
  delete from meter_search
   where rowid in (select meter_id from installation where metering_point_id = new.id and to_at is null);
  insert into meter_search (rowid, text)
    select meter_id, text from meter_search_source
     where meter_id in (select meter_id from installation where metering_point_id = new.id and to_at is null);
end;
create trigger meter_search_customer_update after update of number, name on customer begin
  insert or replace into meter_listing select meter_id, tenant_id, customer_name, address, postal_code
    from meter_search_source where meter_id in (
      select i.meter_id from installation i join metering_point p on p.id = i.metering_point_id
       where p.customer_id = new.id and i.to_at is null);
  delete from meter_search where rowid in (
    select i.meter_id from installation i join metering_point p on p.id = i.metering_point_id
     where p.customer_id = new.id and i.to_at is null);
  insert into meter_search (rowid, text)
    select meter_id, text from meter_search_source where meter_id in (
      select i.meter_id from installation i join metering_point p on p.id = i.metering_point_id
       where p.customer_id = new.id and i.to_at is null);
end;

-- Gateways (R3) and the tenants they forward for (decision 6).
create table gateway (
  id integer primary key,
  tenant_id integer not null references tenant (id),   -- owner
  name text not null,
  created_at integer not null
);
create unique index gateway_tenant_name on gateway (tenant_id, name);
create table gateway_share (
  gateway_id integer not null references gateway (id) on delete cascade,
  tenant_id integer not null references tenant (id),
  primary key (gateway_id, tenant_id)
) without rowid;
create index gateway_share_tenant on gateway_share (tenant_id);

-- Raw frames, stored before anything else (decision 3). One row per transmission: the same
-- telegram heard by several receivers is one frame; while only one receiver heard it, the frame
-- row is its reception, and from the second on every reception has a frame_reception row.
create table frame (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  digest blob not null,           -- first 16 bytes of SHA-256 of the frame without link-layer CRCs
  raw blob not null,              -- bytes exactly as received
  meter_id integer references meter (id),
  address text,                   -- 'KAM 76348799' from the header, kept while no meter is known
  received_at integer not null,   -- first reception
  rssi integer,                   -- best reception
  source text not null,           -- best reception's source
  status text not null check (status in ('decoded', 'no-key', 'unknown-format', 'unknown-meter', 'failed')),
  reason text,
  decoded_at integer
);
-- Dedupe (the same telegram within ±10 minutes): by hour of received_at, then digest. Frames
-- arrive in time order, so inserts stay in the pages of the current hour; a digest-first key
-- puts each insert on a random page of an index as big as the table. The bucket is FrameStore's
-- DEDUPE_BUCKET_MS.
create index frame_dedupe on frame (tenant_id, (received_at / 3600000), digest);
create index frame_waiting on frame (tenant_id, status) where status <> 'decoded';  -- decoded again when a key, format or meter arrives
create index frame_meter_at on frame (meter_id, received_at);
create index frame_tenant_received on frame (tenant_id, received_at);  -- listing, thinning by day

create table frame_reception (
  frame_id integer not null references frame (id) on delete cascade,
  source text not null,
  received_at integer not null,
  rssi integer,
  primary key (frame_id, source)
) without rowid;

-- Readings: one row per meter and instant, the common registers as integers in fixed small
-- units (exact for the registers meters send, and compact: see bench storage.bytes_per_reading);
-- other registers in `extra` (JSON object, canonical units).
create table reading (
  meter_id integer not null references meter (id) on delete cascade,
  at integer not null,
  energy integer,                 -- J
  volume integer,                 -- mL
  flow integer,                   -- mL/h
  power integer,                  -- W
  t_flow integer,                 -- 0.01 °C
  t_return integer,               -- 0.01 °C
  info integer,                   -- info code / status bits as the meter sends them
  extra text,
  primary key (meter_id, at)
) without rowid;

-- Per-tenant settings (thinning periods, thresholds, ...), JSON values.
create table setting (
  tenant_id integer not null references tenant (id),
  key text not null,
  value text not null,
  primary key (tenant_id, key)
) without rowid;

-- Scheduled and ad hoc jobs (thinning, exports, imports, notifications) and their runs.
create table job (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  kind text not null,
  name text not null,
  schedule text,                  -- cron expression (croner); null for ad hoc
  config text not null,           -- JSON
  enabled integer not null default 1,
  created_at integer not null
);
create table job_run (
  id integer primary key,
  job_id integer references job (id) on delete cascade,
  tenant_id integer not null references tenant (id),
  kind text not null,
  started_at integer not null,
  finished_at integer,
  status text not null check (status in ('running', 'ok', 'failed')),
  message text,
  result text                     -- JSON: counts, never data
);
create index job_run_tenant_started on job_run (tenant_id, started_at);

-- Audit queries by period, user and event type.
create index audit_entry_tenant_event_at on audit_entry (tenant_id, event, at);
create index audit_entry_tenant_user_at on audit_entry (tenant_id, user_id, at);

-- The audit trail is append-only (M19): no statement may change or remove an entry, whatever
-- code runs it (GDPR erasure and thinning remove readings and frames, never audit entries).
create trigger audit_entry_no_update before update on audit_entry
begin
  select raise(abort, 'audit_entry is append-only: entries cannot be changed');
end;
create trigger audit_entry_no_delete before delete on audit_entry
begin
  select raise(abort, 'audit_entry is append-only: entries cannot be deleted');
end;
