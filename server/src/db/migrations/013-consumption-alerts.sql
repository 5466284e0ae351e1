-- Consumption alerts (M10): a limit on a meter's consumption per day, ISO week or calendar month
-- of the utility's zone, valid for a span of dates or open-ended. Evaluated as readings arrive and
-- on the schedule; an exceeded alert keeps its value, period and time until someone resets it.
-- One alert per meter and period kind: setting it again replaces it.
create table consumption_alert (
  id integer primary key,
  tenant_id integer not null references tenant (id),
  meter_id integer not null references meter (id) on delete cascade,
  period text not null check (period in ('day', 'week', 'month')),
  register text not null check (register in ('energy', 'volume')),
  limit_value real not null,      -- kWh (energy) or m3 (volume)
  valid_from text not null,       -- local date '2026-11-01' of the utility
  valid_to text,                  -- local date, inclusive; null: open-ended
  valid_from_at integer not null, -- local midnight starting valid_from (instant)
  valid_to_at integer,            -- local midnight after valid_to (exclusive end)
  state text not null default 'armed' check (state in ('armed', 'exceeded', 'disarmed')),
  state_at integer not null,      -- when the state last changed
  counts_from integer,            -- after a reset: count from this instant within its period
  period_start integer,           -- start of the period the last evaluation counted
  value real,                     -- consumption in that period at the last evaluation
  evaluated_at integer,
  exceeded_at integer,            -- the reading that went over the limit
  exceeded_value real,
  exceeded_period_start integer,
  created_at integer not null,
  updated_at integer not null,
  unique (meter_id, period)
);
create index consumption_alert_tenant_state on consumption_alert (tenant_id, state);

-- Evaluation asks whether any day of a meter's period is irregular (a register went down): one
-- seek here instead of reading every day of the month (bench alerts.eval_ms).
create index reading_day_irregular on reading_day (meter_id, day) where irregular > 0;
