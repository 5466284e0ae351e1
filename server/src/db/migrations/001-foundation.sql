-- Tenants, people and their sessions, and the audit trail (architecture.md decisions 6-8).
-- Instants are UTC milliseconds since the epoch.

create table tenant (
  id integer primary key,
  name text not null unique,
  time_zone text not null default 'Europe/Copenhagen',
  created_at integer not null
);

create table app_user (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  login text not null unique collate nocase,
  display_name text not null,
  password_hash text not null,
  role text not null check (role in ('user', 'superuser', 'administrator')),
  created_at integer not null,
  disabled_at integer
);
create index app_user_tenant on app_user (tenant_id);

-- The cookie holds a random token; only its SHA-256 is stored.
create table session (
  token_hash text primary key,
  user_id integer not null references app_user (id) on delete cascade,
  created_at integer not null,
  expires_at integer not null,
  user_agent text
);
create index session_user on session (user_id);
create index session_expires on session (expires_at);

-- Append-only: written in the same transaction as the change it records.
create table audit_entry (
  id integer primary key,
  tenant_id integer references tenant (id),
  at integer not null,
  event text not null,
  user_id integer references app_user (id),
  actor text,
  device text,
  details text
);
create index audit_entry_tenant_at on audit_entry (tenant_id, at);
