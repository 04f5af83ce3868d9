"""Members and what they do: accounts, votes, submissions, their own library and signals
(personal), recommendations, discussions, moderation, author claims."""
