-- A reader's own upvotes are loaded whole (upvotedByMe on every page they read comes from that one set); the
-- primary keys lead with the item, so each vote table also needs the reader first.
create index question_votes_by_user on question_votes (user_id);
create index answer_votes_by_user on answer_votes (user_id);
