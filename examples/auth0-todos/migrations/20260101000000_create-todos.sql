-- The "Auth0 + InsForge" guide's schema: Auth0 user ids are text ("auth0|…"), and
-- requesting_user_id() reads the `sub` of the token the request carries.
create or replace function public.requesting_user_id() returns text
language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true)::json->>'sub', '')::text
$$;

create table public.todos (
  id uuid primary key default gen_random_uuid(),
  user_id text not null default requesting_user_id(),
  title text not null check (length(title) between 1 and 200),
  is_complete boolean not null default false,
  created_at timestamptz not null default now()
);

create index todos_user_id_created_at on public.todos (user_id, created_at);

alter table public.todos enable row level security;

create policy "Users can manage own todos" on public.todos
  for all to authenticated
  using (user_id = requesting_user_id())
  with check (user_id = requesting_user_id());
