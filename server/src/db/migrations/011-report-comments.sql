-- Comments on report rows (issue 7, M7): a note per meter about its reading ("antenna moved
-- 3 Nov"), shown on the reading-performance rows and in their CSV. One comment per meter and
-- report; who wrote it last and when. Creating, editing and deleting are audited.
create table report_comment (
  meter_id integer not null references meter (id) on delete cascade,
  report text not null check (report in ('performance')),
  tenant_id integer not null references tenant (id),
  text text not null,
  author text not null,           -- the user's name as it was when they wrote it
  user_id integer references app_user (id) on delete set null,
  created_at integer not null,
  updated_at integer not null,
  primary key (meter_id, report)
) without rowid;
create index report_comment_tenant on report_comment (tenant_id, report);
