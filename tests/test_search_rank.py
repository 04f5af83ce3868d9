def test_trending_score_literal_values() -> None:
    from papertide.search.rank import trending_score

    assert round(trending_score(5, 9.0), 6) == 0.066752  # 5 / 11^1.8
    assert round(trending_score(12, 33.0), 6) == 0.019946  # 12 / 35^1.8
    assert round(trending_score(30, 57.0), 6) == 0.01948  # 30 / 59^1.8
    assert trending_score(0, 1.0) == 0.0
    assert trending_score(10, -3.0) == trending_score(10, 0.0)  # a clock skew never divides by ~0


def test_trending_ranks_fresh_votes_over_old_ones() -> None:
    from datetime import date, datetime

    from papertide.model import Paper
    from papertide.search.rank import trending

    now = datetime(2025, 11, 5, 9, 0)
    papers = [
        Paper("old", "Old", featured_date=date(2025, 11, 3), upvotes=30),
        Paper("new", "New", featured_date=date(2025, 11, 5), upvotes=5),
        Paper("mid", "Mid", featured_date=date(2025, 11, 4), upvotes=12),
        Paper("votes", "Member votes count", featured_date=date(2025, 11, 4), upvotes=10, member_votes=2),
        Paper("undated", "No date", upvotes=100),
    ]
    assert trending(papers, now) == (
        ["new", "mid", "votes", "old", "undated"],
        [0.066752, 0.019946, 0.019946, 0.01948, 0.0],
    )
