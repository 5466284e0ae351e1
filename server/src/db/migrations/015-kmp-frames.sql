-- Kamstrup KMP answers read through an optical head (issue 9, protocols.md §5): a KMP answer does
-- not name its meter (the serial comes from GetSerialNo earlier in the same session), so the
-- sender names it and the frame keeps that name for good: `meter_hint` ('KAM 12345678') is how a
-- stored KMP frame finds its meter again (after the meter arrives, or after it was deleted and
-- created anew). `address` keeps its meaning (set only while no meter is linked).
alter table frame add column meter_hint text;

-- link gains 'kmp'. SQLite cannot change a column's CHECK in place: a new column with the wider
-- check takes the values, the old one goes, the new one takes its name (no index or trigger
-- names `link`).
alter table frame add column link_kmp text not null default 'wmbus' check (link_kmp in ('wmbus', 'mbus', 'kmp'));
update frame set link_kmp = link where link <> 'wmbus';
alter table frame drop column link;
alter table frame rename column link_kmp to link;
