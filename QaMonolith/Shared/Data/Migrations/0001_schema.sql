-- Courses, questions, answers, votes and the outbox. Forward-only: never edit after it lands.

create table courses (
    id          bigint generated always as identity primary key,
    name        text not null unique,
    description text not null
);

create table questions (
    id               bigint generated always as identity primary key,
    course_id        bigint not null references courses (id),
    -- The author's id is the author's only secret: stored for rate limits and votes, never returned.
    author_id        uuid not null,
    text             text not null,
    upvotes          integer not null default 0 check (upvotes >= 0),
    answer_count     integer not null default 0 check (answer_count >= 0),
    created_at       timestamptz not null,
    last_activity_at timestamptz not null
);

-- Serves the course page keyset scan: where course_id = ? and (last_activity_at, id) < (?, ?).
create index questions_course_activity on questions (course_id, last_activity_at desc, id desc);

create table answers (
    id               bigint generated always as identity primary key,
    question_id      bigint not null references questions (id),
    -- Null for a model's answer; a user's answer has no slot.
    author_id        uuid,
    llm_slot         integer,
    llm_model        text,
    text             text not null,
    upvotes          integer not null default 0 check (upvotes >= 0),
    created_at       timestamptz not null,
    last_activity_at timestamptz not null,
    -- A redelivered question.asked can never write a slot twice.
    constraint answers_question_slot unique (question_id, llm_slot),
    constraint answers_author check ((author_id is null) <> (llm_slot is null))
);

create index answers_question_activity on answers (question_id, last_activity_at desc, id desc);

create table question_votes (
    question_id bigint not null references questions (id),
    user_id     uuid not null,
    created_at  timestamptz not null default now(),
    primary key (question_id, user_id)
);

create table answer_votes (
    answer_id  bigint not null references answers (id),
    user_id    uuid not null,
    created_at timestamptz not null default now(),
    primary key (answer_id, user_id)
);

create table outbox (
    id           bigint generated always as identity primary key,
    stream       text not null,
    type         text not null,
    -- json, not jsonb: the payload is published byte for byte as the writer serialized it.
    data         json not null,
    created_at   timestamptz not null default now(),
    published_at timestamptz
);

-- The relay only ever looks for what is still pending; a partial index keeps that scan tiny.
create index outbox_pending on outbox (id) where published_at is null;
create index outbox_published on outbox (published_at) where published_at is not null;

-- Users and the model both write answers, from different modules; the count is kept by the schema they share
-- so neither has to remember it. It runs inside the inserting transaction and locks the question row briefly.
create function answers_count_on_insert() returns trigger language plpgsql as $$
begin
    update questions set answer_count = answer_count + 1 where id = new.question_id;
    return new;
end;
$$;

create trigger answers_count after insert on answers
    for each row execute function answers_count_on_insert();
