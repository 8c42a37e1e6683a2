-- What the Answers module still owes: one row per question whose model answers are not all saved yet.
-- Postgres is the source of truth and Redis streams can lose entries, so the sweep looks here for questions
-- that no stream entry will bring back. The schema writes the row (like answer_count), so the Api module needs
-- no code for it; the Answers module deletes it once every slot is saved. Questions asked before this
-- migration get no row: they are left as they are.
create table answer_requests (
    question_id  bigint primary key references questions (id),
    requested_at timestamptz not null default now(),
    -- Set when the question's entry was dead-lettered: the sweep leaves it to people from then on.
    dead_at      timestamptz,
    last_error   text
);

create index answer_requests_due on answer_requests (requested_at) where dead_at is null;

create function answer_requests_on_question() returns trigger language plpgsql as $$
begin
    insert into answer_requests (question_id, requested_at) values (new.id, new.created_at);
    return new;
end;
$$;

create trigger answer_requests_on_question after insert on questions
    for each row execute function answer_requests_on_question();

-- The Offline provider's full-text search over earlier discussions of a course.
create index questions_text_search on questions using gin (to_tsvector('english', text));
create index answers_text_search on answers using gin (to_tsvector('english', text));
