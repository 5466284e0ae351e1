-- Reports (M5-M7, B3) over a group and an interval at 100,000 meters × a month of hourly readings
-- (72 M rows) must not read every reading, so one row per meter and local day of the utility's
-- calendar sums what the reports need, kept by triggers on reading like meter_latest (007).
-- SQLite only: a PostgreSQL store keeps the same table the same way.

-- The tenant's UTC offset from `from_at` on (until the next row): filled for 1970-2100 by
-- ReadingDays.ensureTenant (server/src/store/reading-days.ts) from the tenant's IANA zone, so a
-- trigger can find a reading's local day with one index seek.
create table tenant_zone_offset (
  tenant_id integer not null references tenant (id),
  from_at integer not null,
  offset_ms integer not null,
  time_zone text not null,        -- the zone the row was made for (a changed zone is rebuilt)
  primary key (tenant_id, from_at)
) without rowid;

create table reading_day (
  meter_id integer not null,
  day integer not null,           -- local calendar day: floor((at + offset) / 86,400,000)
  n integer not null,             -- readings
  hours integer not null,         -- bit h set: a reading in local hour h (0-23)
  hours_n integer not null,       -- bits set in `hours`
  irregular integer not null,     -- readings whose energy or volume is below the one before it, or
                                  -- whose registers differ in presence from it (a consumption
                                  -- report walks such a meter's readings); never decreases
  t_n integer not null,           -- readings with both temperatures
  t_flow_sum integer not null,    -- Σ t_flow (0.01 °C)
  t_return_sum integer not null,  -- Σ t_return
  q_sum integer not null,         -- Σ flow (mL/h) of readings with both temperatures and a flow
  qt_flow_sum integer not null,   -- Σ flow · t_flow: flow-weighted mean = qt_flow_sum / q_sum
  qt_return_sum integer not null,
  primary key (meter_id, day)
) without rowid;

create trigger reading_day_insert after insert on reading begin
  insert into reading_day (meter_id, day, n, hours, hours_n, irregular, t_n, t_flow_sum, t_return_sum, q_sum, qt_flow_sum, qt_return_sum)
  select new.meter_id, l / 86400000, 1, 1 << ((l / 3600000) % 24), 1,
         -- the reading before: meter_latest's (007) while it is older than this one (a reading
         -- in time order: this trigger, created later, runs before meter_latest's), else a seek
         case when (select at from meter_latest where meter_id = new.meter_id) < new.at
              then (select coalesce(p.energy > new.energy, 0) or coalesce(p.volume > new.volume, 0)
                           or ((p.energy is null) <> (new.energy is null)) or ((p.volume is null) <> (new.volume is null))
                      from meter_latest p where p.meter_id = new.meter_id)
              else coalesce((select (p.energy > new.energy) or (p.volume > new.volume)
                                    or ((p.energy is null) <> (new.energy is null)) or ((p.volume is null) <> (new.volume is null))
                               from reading p where p.meter_id = new.meter_id and p.at < new.at order by p.at desc limit 1), 0) end,
         tt, tt * coalesce(new.t_flow, 0), tt * coalesce(new.t_return, 0),
         q, q * coalesce(new.t_flow, 0), q * coalesce(new.t_return, 0)
    from (select new.at + coalesce((select z.offset_ms from tenant_zone_offset z
                                     where z.tenant_id = (select tenant_id from meter_latest where meter_id = new.meter_id)
                                       and z.from_at <= new.at order by z.from_at desc limit 1), 0) as l,
                 (new.t_flow is not null and new.t_return is not null) as tt,
                 case when new.t_flow is not null and new.t_return is not null then coalesce(new.flow, 0) else 0 end as q)
   where true
  on conflict (meter_id, day) do update set
    n = n + 1,
    hours_n = hours_n + ((hours & excluded.hours) = 0),
    hours = hours | excluded.hours,
    irregular = irregular + excluded.irregular,
    t_n = t_n + excluded.t_n,
    t_flow_sum = t_flow_sum + excluded.t_flow_sum,
    t_return_sum = t_return_sum + excluded.t_return_sum,
    q_sum = q_sum + excluded.q_sum,
    qt_flow_sum = qt_flow_sum + excluded.qt_flow_sum,
    qt_return_sum = qt_return_sum + excluded.qt_return_sum;
end;

-- A reading written before one already stored (a late upload): the step to the next reading
-- counts on the next reading's day, so that day is marked when the pair is irregular. Whether a
-- later reading exists is meter_latest's (007) newest time, before or after its own trigger ran.
create trigger reading_day_insert_before_next after insert on reading
  when (select at from meter_latest where meter_id = new.meter_id) > new.at
begin
  update reading_day set irregular = irregular + 1
   where meter_id = new.meter_id
     and day = (select (x.at + coalesce((select z.offset_ms from tenant_zone_offset z
                                          where z.tenant_id = (select tenant_id from meter_latest where meter_id = new.meter_id)
                                            and z.from_at <= x.at order by z.from_at desc limit 1), 0)) / 86400000
                  from reading x where x.meter_id = new.meter_id and x.at > new.at order by x.at limit 1)
     and exists (select 1 from reading x where x.meter_id = new.meter_id and x.at > new.at
                  and ((new.energy > x.energy) or (new.volume > x.volume)
                       or ((x.energy is null) <> (new.energy is null)) or ((x.volume is null) <> (new.volume is null)))
                  order by x.at limit 1);
end;

-- A reading rewritten in place (re-decode, a typed register added): its sums change, its
-- count and hour do not; a changed register is conservatively marked irregular.
create trigger reading_day_update after update on reading begin
  update reading_day set
    irregular = irregular + ((old.energy is not new.energy) or (old.volume is not new.volume)),
    t_n = t_n - (old.t_flow is not null and old.t_return is not null) + (new.t_flow is not null and new.t_return is not null),
    t_flow_sum = t_flow_sum - (case when old.t_flow is not null and old.t_return is not null then old.t_flow else 0 end)
                            + (case when new.t_flow is not null and new.t_return is not null then new.t_flow else 0 end),
    t_return_sum = t_return_sum - (case when old.t_flow is not null and old.t_return is not null then old.t_return else 0 end)
                                + (case when new.t_flow is not null and new.t_return is not null then new.t_return else 0 end),
    q_sum = q_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) else 0 end)
                  + (case when new.t_flow is not null and new.t_return is not null then coalesce(new.flow, 0) else 0 end),
    qt_flow_sum = qt_flow_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) * old.t_flow else 0 end)
                              + (case when new.t_flow is not null and new.t_return is not null then coalesce(new.flow, 0) * new.t_flow else 0 end),
    qt_return_sum = qt_return_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) * old.t_return else 0 end)
                                  + (case when new.t_flow is not null and new.t_return is not null then coalesce(new.flow, 0) * new.t_return else 0 end)
   where meter_id = new.meter_id
     and day = (new.at + coalesce((select z.offset_ms from tenant_zone_offset z
                                    where z.tenant_id = (select tenant_id from meter_latest where meter_id = new.meter_id)
                                      and z.from_at <= new.at order by z.from_at desc limit 1), 0)) / 86400000;
end;

-- A reading removed (thinning, erasure): its count and sums go; its hour bit goes when no other
-- reading is left in that local hour.
create trigger reading_day_delete after delete on reading begin
  update reading_day set
    n = n - 1,
    hours = case when exists (select 1 from reading x where x.meter_id = old.meter_id
                                and x.at >= old.at - (o.l % 3600000) and x.at < old.at - (o.l % 3600000) + 3600000)
                 then hours else hours & ~(1 << ((o.l / 3600000) % 24)) end,
    hours_n = hours_n - case when exists (select 1 from reading x where x.meter_id = old.meter_id
                                            and x.at >= old.at - (o.l % 3600000) and x.at < old.at - (o.l % 3600000) + 3600000)
                             then 0 else 1 end,
    t_n = t_n - (old.t_flow is not null and old.t_return is not null),
    t_flow_sum = t_flow_sum - (case when old.t_flow is not null and old.t_return is not null then old.t_flow else 0 end),
    t_return_sum = t_return_sum - (case when old.t_flow is not null and old.t_return is not null then old.t_return else 0 end),
    q_sum = q_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) else 0 end),
    qt_flow_sum = qt_flow_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) * old.t_flow else 0 end),
    qt_return_sum = qt_return_sum - (case when old.t_flow is not null and old.t_return is not null then coalesce(old.flow, 0) * old.t_return else 0 end)
  from (select old.at + coalesce((select z.offset_ms from tenant_zone_offset z
                                   where z.tenant_id = (select tenant_id from meter_latest where meter_id = old.meter_id)
                                     and z.from_at <= old.at order by z.from_at desc limit 1), 0) as l) as o
   where meter_id = old.meter_id and day = o.l / 86400000;
end;

create trigger reading_day_meter_delete after delete on meter begin
  delete from reading_day where meter_id = old.id;
end;
