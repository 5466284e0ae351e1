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

-- Reading performance per gateway and drive-by route (M7) counts receptions per receiver, meter
-- and local day: reading frames for that at 100,000 meters × a month of hourly telegrams (72 M
-- rows, and a frame_reception probe each) takes minutes, so triggers keep the counts as frames
-- arrive. A frame row is its first reception; from the second reception on, ingest writes a
-- frame_reception row for every receiver, the first of them repeating the frame's own (server/src/
-- ingest/ingest.ts), which is therefore not counted again. Counts stay when thinning removes frames.
-- Days are local days of the tenant as in reading_day (010); meter_id 0: no known meter.
-- Keyed by meter, receiver, day: the report walks frame_meter_source (the pairs ever heard) and
-- seeks each pair's days, so it reads the interval's rows only, already in group order.
create table frame_source_day (
  meter_id integer not null,
  source text not null,
  day integer not null,
  tenant_id integer not null,
  n integer not null,
  last_at integer not null,
  primary key (meter_id, source, day, tenant_id)
) without rowid;

create table frame_meter_source (
  meter_id integer not null,
  source text not null,
  tenant_id integer not null,
  primary key (meter_id, source, tenant_id)
) without rowid;

-- Frames stored before this migration are counted by ReadingDays.ensureTenant (store/reading-days.ts),
-- which rebuilds a tenant's counts once its zone offsets exist: here they do not yet.

-- a receiver's first day with a meter makes the pair (an upsert that updates does not fire this)
create trigger frame_meter_source_pair after insert on frame_source_day begin
  insert or ignore into frame_meter_source (meter_id, source, tenant_id) values (new.meter_id, new.source, new.tenant_id);
end;

create trigger frame_source_day_frame after insert on frame begin
  insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
  select coalesce(new.meter_id, 0), new.source,
         (new.received_at + coalesce((select z.offset_ms from tenant_zone_offset z where z.tenant_id = new.tenant_id
           and z.from_at <= new.received_at order by z.from_at desc limit 1), 0)) / 86400000,
         new.tenant_id, 1, new.received_at
   where true
  on conflict do update set n = n + 1, last_at = max(last_at, excluded.last_at);
end;

-- the first reception row of a frame repeats the frame row's own reception: not counted again
create trigger frame_source_day_reception after insert on frame_reception
  when (select count(*) from frame_reception where frame_id = new.frame_id) > 1
begin
  insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
  select coalesce(f.meter_id, 0), new.source,
         (f.received_at + coalesce((select z.offset_ms from tenant_zone_offset z where z.tenant_id = f.tenant_id
           and z.from_at <= f.received_at order by z.from_at desc limit 1), 0)) / 86400000,
         f.tenant_id, 1, new.received_at
    from frame f where f.id = new.frame_id
  on conflict do update set n = n + 1, last_at = max(last_at, excluded.last_at);
end;

-- a frame decoded later (its key or meter arrived) moves its receptions to the meter
create trigger frame_source_day_meter after update of meter_id on frame
  when old.meter_id is not new.meter_id
begin
  update frame_source_day set n = n - 1
   where meter_id = coalesce(old.meter_id, 0) and tenant_id = new.tenant_id
     and day = (new.received_at + coalesce((select z.offset_ms from tenant_zone_offset z where z.tenant_id = new.tenant_id
                 and z.from_at <= new.received_at order by z.from_at desc limit 1), 0)) / 86400000
     and source in (select source from frame_reception where frame_id = new.id
                    union all select new.source where not exists (select 1 from frame_reception where frame_id = new.id));
  insert into frame_source_day (meter_id, source, day, tenant_id, n, last_at)
  select coalesce(new.meter_id, 0), s.source,
         (new.received_at + coalesce((select z.offset_ms from tenant_zone_offset z where z.tenant_id = new.tenant_id
           and z.from_at <= new.received_at order by z.from_at desc limit 1), 0)) / 86400000,
         new.tenant_id, 1, s.at
    from (select source, received_at as at from frame_reception where frame_id = new.id
          union all select new.source, new.received_at where not exists (select 1 from frame_reception where frame_id = new.id)) s
   where true
  on conflict do update set n = n + 1, last_at = max(last_at, excluded.last_at);
end;

-- a meter removed (erasure, a mistaken import) takes its counts with it, as reading_day does
create trigger frame_source_day_meter_delete after delete on meter begin
  delete from frame_source_day where meter_id = old.id;
  delete from frame_meter_source where meter_id = old.id;
end;
