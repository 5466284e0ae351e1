-- Notifications (M9): rules that send alarms (shared/model/alarm.ts kinds) by e-mail and/or SMS,
-- what each rule last saw per meter, and a log row per message and recipient.

create table notification_rule (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  name text not null,
  -- JSON array of alarm kinds; [] with min_severity set: every kind at that severity or above
  kinds text not null default '[]',
  min_severity text check (min_severity in ('critical', 'warning', 'info')),
  -- 1: every meter of the utility; 0: the meters of notification_rule_group (none left: no meter)
  all_meters integer not null default 1,
  emails text not null default '[]',
  phones text not null default '[]',
  by_email integer not null default 0,
  by_sms integer not null default 0,
  mode text not null check (mode in ('immediate', 'daily')),
  -- HH:MM on the utility's clock, for mode 'daily'
  daily_at text,
  enabled integer not null default 1,
  created_at integer not null,
  updated_at integer not null
);
create unique index notification_rule_name on notification_rule (tenant_id, name);

create table notification_rule_group (
  rule_id integer not null references notification_rule (id) on delete cascade,
  group_id integer not null references meter_group (id) on delete cascade,
  primary key (rule_id, group_id)
) without rowid;
create index notification_rule_group_group on notification_rule_group (group_id);

-- Alarm kinds active for a rule's meter at its last evaluation: a kind not here is news.
create table notification_state (
  rule_id integer not null references notification_rule (id) on delete cascade,
  meter_id integer not null references meter (id) on delete cascade,
  kind text not null,
  since integer not null,
  primary key (rule_id, meter_id, kind)
) without rowid;

create table notification_delivery (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  rule_id integer references notification_rule (id) on delete set null,
  -- kept when the rule is deleted, so the log still says which rule sent it
  rule_name text not null,
  channel text not null check (channel in ('email', 'sms')),
  recipient text not null,
  subject text not null,
  body text not null,
  -- how many meters the message lists
  meters integer not null,
  status text not null check (status in ('queued', 'sent', 'retrying', 'failed')),
  attempts integer not null default 0,
  reason text,
  created_at integer not null,
  next_at integer,
  sent_at integer,
  updated_at integer not null
);
create index notification_delivery_tenant on notification_delivery (tenant_id, created_at);
create index notification_delivery_pending on notification_delivery (next_at) where status in ('queued', 'retrying');
