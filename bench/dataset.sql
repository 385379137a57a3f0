-- The benchmark's dataset: shaped like the Chinook database PostgREST's benchmark uses (same
-- tables and row counts: 275 artists, 347 albums, 3,503 tracks, 25 genres, 8 employees), with
-- generated values, plus `playlist` (10,000 rows, 100 owners) under the Auth0 guide's RLS policy.
create or replace function public.requesting_user_id() returns text language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true)::json->>'sub', '')::text $$;

create table public.artist (artist_id int primary key, name text);
insert into public.artist select i, 'Artist ' || i from generate_series(1, 275) i;

create table public.genre (genre_id int primary key, name text);
insert into public.genre select i, 'Genre ' || i from generate_series(1, 25) i;

create table public.album (
  album_id int primary key, title text not null, artist_id int not null references public.artist);
insert into public.album select i, 'Album ' || i, 1 + (i * 7) % 275 from generate_series(1, 347) i;

create table public.track (
  track_id int primary key, name text not null, album_id int references public.album,
  media_type_id int not null default 1, genre_id int references public.genre, composer text,
  milliseconds int not null, bytes int, unit_price numeric(10, 2) not null);
insert into public.track
  select i, 'Track ' || i, 1 + (i * 13) % 347, 1 + i % 5, 1 + (i * 3) % 25, 'Composer ' || (i % 97),
         180000 + (i * 7919) % 240000, 5000000 + (i * 104729) % 5000000, 0.99
  from generate_series(1, 3503) i;
create index on public.track (album_id);
create index on public.track (genre_id);
create index on public.album (artist_id);

create table public.employee (
  employee_id serial primary key, last_name text not null, first_name text not null, title text,
  reports_to int references public.employee, birth_date timestamp, hire_date timestamp, address text,
  city text, state text, country text, postal_code text, phone text, fax text, email text);
insert into public.employee (last_name, first_name, title, reports_to, email)
  select 'Last' || i, 'First' || i, 'Title ' || i, case when i > 1 then 1 end, 'e' || i || '@chinook.example'
  from generate_series(1, 8) i;

create table public.playlist (
  playlist_id int primary key, name text not null,
  user_id text not null default requesting_user_id());
insert into public.playlist select i, 'Playlist ' || i, 'user_' || (i % 100) from generate_series(0, 9999) i;
create index on public.playlist (user_id);
alter table public.playlist enable row level security;
create policy own on public.playlist for all to authenticated
  using (user_id = requesting_user_id()) with check (user_id = requesting_user_id());

create function public.album_duration(album int) returns bigint language sql stable as $$
  select coalesce(sum(milliseconds), 0)::bigint from public.track where album_id = album $$;

grant select on public.artist, public.genre, public.album, public.track, public.employee to anon, authenticated;
grant select, insert, update, delete on public.playlist to authenticated;
grant insert on public.employee to authenticated;
grant usage on sequence public.employee_employee_id_seq to authenticated;
grant update on public.artist to authenticated;
grant execute on function public.album_duration(int) to anon, authenticated;
analyze;
