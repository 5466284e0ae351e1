-- Meter list (M4) at 100,000 meters: sorting by customer number, by latest reading time and by
-- latest reading value must not join every meter with its readings, so the keys are kept in
-- their own tables by triggers.
-- SQLite only, like 002's meter_listing: a PostgreSQL store indexes the same columns.

-- 1. customer_number in meter_listing: 002's triggers insert whole rows without a column list,
-- so the view and those triggers are recreated with the new column.
alter table meter_listing add column customer_number text;
create index meter_listing_customer_number on meter_listing (tenant_id, customer_number);

drop trigger meter_search_meter_insert;
drop trigger meter_search_installation_insert;
drop trigger meter_search_installation_update;
drop trigger meter_search_installation_delete;
drop trigger meter_search_point_update;
drop trigger meter_search_customer_update;
drop view meter_search_source;

create view meter_search_source as
select m.id as meter_id, m.tenant_id, c.name as customer_name, p.address, p.postal_code, c.number as customer_number,
       concat_ws(' ', m.manufacturer, m.serial, m.model, m.medium, c.number, c.name,
                 p.number, p.address, p.postal_code, p.city) as text
  from meter m
  left join installation i on i.meter_id = m.id and i.to_at is null
  left join metering_point p on p.id = i.metering_point_id
  left join customer c on c.id = p.customer_id;

update meter_listing set customer_number = (select s.customer_number from meter_search_source s where s.meter_id = meter_listing.meter_id);

create trigger meter_search_meter_insert after insert on meter begin
  insert into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number from meter_search_source where meter_id = new.id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = new.id;
end;
create trigger meter_search_installation_insert after insert on installation begin
  insert or replace into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number from meter_search_source where meter_id = new.meter_id;
  delete from meter_search where rowid = new.meter_id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = new.meter_id;
end;
create trigger meter_search_installation_update after update on installation begin
  insert or replace into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number
      from meter_search_source where meter_id in (old.meter_id, new.meter_id);
  delete from meter_search where rowid in (old.meter_id, new.meter_id);
  insert into meter_search (rowid, text)
    select meter_id, text from meter_search_source where meter_id in (old.meter_id, new.meter_id);
end;
create trigger meter_search_installation_delete after delete on installation begin
  insert or replace into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number from meter_search_source where meter_id = old.meter_id;
  delete from meter_search where rowid = old.meter_id;
  insert into meter_search (rowid, text) select meter_id, text from meter_search_source where meter_id = old.meter_id;
end;
create trigger meter_search_point_update after update on metering_point begin
  insert or replace into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number from meter_search_source
     where meter_id in (select meter_id from installation where metering_point_id = new.id and to_at is null);
  delete from meter_search
   where rowid in (select meter_id from installation where metering_point_id = new.id and to_at is null);
  insert into meter_search (rowid, text)
    select meter_id, text from meter_search_source
     where meter_id in (select meter_id from installation where metering_point_id = new.id and to_at is null);
end;
create trigger meter_search_customer_update after update of number, name on customer begin
  insert or replace into meter_listing (meter_id, tenant_id, customer_name, address, postal_code, customer_number)
    select meter_id, tenant_id, customer_name, address, postal_code, customer_number from meter_search_source where meter_id in (
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

-- 2. The newest reading of every meter: one row per meter (null columns while it has none), kept
-- by triggers on reading so every writer (ingest, re-decode, imports, thinning, erasure) keeps it
-- right. `main` is the billing register in canonical units: energy in kWh when the reading has
-- energy (heat, cooling, electricity), else volume in m3 (water).
create table meter_latest (
  meter_id integer primary key,   -- = meter.id
  tenant_id integer not null,
  at integer,
  energy integer,                 -- J, as in reading
  volume integer,                 -- mL
  info integer,
  main real
);
-- No index on at or main: every reading would move two index entries (ingest.rate fell by a
-- fifth), while a scan of these 100,000 small rows with a top-N sort takes 5-40 ms.

insert into meter_latest (meter_id, tenant_id, at, energy, volume, info, main)
select m.id, m.tenant_id, r.at, r.energy, r.volume, r.info, coalesce(r.energy / 3600000.0, r.volume / 1000000.0)
  from meter m
  left join reading r on r.meter_id = m.id and r.at = (select max(x.at) from reading x where x.meter_id = m.id);

create trigger meter_latest_meter_insert after insert on meter begin
  insert into meter_latest (meter_id, tenant_id) values (new.id, new.tenant_id);
end;
create trigger meter_latest_meter_delete after delete on meter begin
  delete from meter_latest where meter_id = old.id;
end;
create trigger meter_latest_reading_insert after insert on reading begin
  update meter_latest
     set at = new.at, energy = new.energy, volume = new.volume, info = new.info,
         main = coalesce(new.energy / 3600000.0, new.volume / 1000000.0)
   where meter_id = new.meter_id and (at is null or at <= new.at);
end;
create trigger meter_latest_reading_update after update on reading begin
  update meter_latest
     set at = new.at, energy = new.energy, volume = new.volume, info = new.info,
         main = coalesce(new.energy / 3600000.0, new.volume / 1000000.0)
   where meter_id = new.meter_id and (at is null or at <= new.at);
end;
-- the newest reading removed (erasure, a forced meter delete): the one before it becomes the latest
create trigger meter_latest_reading_delete after delete on reading
  when old.at = (select at from meter_latest where meter_id = old.meter_id)
begin
  update meter_latest
     set (at, energy, volume, info, main) = (
       select at, energy, volume, info, coalesce(energy / 3600000.0, volume / 1000000.0)
         from reading where meter_id = old.meter_id order by at desc limit 1)
   where meter_id = old.meter_id;
end;
