-- The benchmark's data set: 10,000 questions, 50,000 answers, 100,000 upvotes, spread unevenly: course 1 is hot
-- (half the questions), and a few questions draw most answers and votes (random()^2 skews towards low ids).
-- Runs on a freshly migrated database, so question ids are 1..10000 and answer ids 1..50000.

insert into questions (course_id, author_id, text, created_at, last_activity_at)
select case when g % 2 = 0 then 1 else 2 + g % 4 end, gen_random_uuid(),
       'Seeded question ' || g || ': how does ' || md5(g::text) || ' relate to this week''s lecture?', t, t
from generate_series(1, 10000) g, lateral (select now() - (10000 - g) * interval '1 minute' as t) x;

insert into answers (question_id, author_id, text, created_at, last_activity_at)
select q, gen_random_uuid(), 'Seeded answer ' || g || ': ' || repeat(md5(g::text) || ' ', 4), t, t
from generate_series(1, 50000) g,
     lateral (select 1 + floor(power(random(), 2) * 10000)::int as q, now() - (50000 - g) * interval '10 seconds' as t) x;

insert into question_votes (question_id, user_id)
select 1 + floor(power(random(), 2) * 10000)::int, gen_random_uuid() from generate_series(1, 70000)
on conflict do nothing;

insert into answer_votes (answer_id, user_id)
select 1 + floor(power(random(), 2) * 50000)::int, gen_random_uuid() from generate_series(1, 30000)
on conflict do nothing;

update questions q set upvotes = v.n from (select question_id, count(*)::int n from question_votes group by 1) v where q.id = v.question_id;
update answers a set upvotes = v.n from (select answer_id, count(*)::int n from answer_votes group by 1) v where a.id = v.answer_id;

vacuum analyze;
