from datetime import date, datetime, timedelta

import pytest

from papertide.members.submissions import Rules, SubmissionError, check_submission
from papertide.model import Paper

NOW = datetime(2025, 11, 5, 9, 0)
FRESH = Paper("2511.00009", "Fresh", published=datetime(2025, 11, 1))


def test_a_fresh_paper_passes() -> None:
    check_submission(FRESH, None, 0, Rules(), NOW)
    check_submission(FRESH, FRESH, 4, Rules(), NOW)  # in the catalogue but never featured: fine


@pytest.mark.parametrize(
    ("paper", "existing", "today", "message"),
    [
        (FRESH, FRESH.replace(featured_date=date(2025, 11, 2)), 0, "already in the feed \\(featured 2025-11-02\\)"),
        (FRESH, None, 5, "you can submit 5 papers a day"),
        (FRESH.replace(published=datetime(2025, 10, 21, 8)), None, 0, "only papers from the last 14 days"),
        (FRESH.replace(published=None), None, 0, "no publication date"),
    ],
)
def test_refusals_say_why(paper: Paper, existing: Paper | None, today: int, message: str) -> None:
    with pytest.raises(SubmissionError, match=message) as err:
        check_submission(paper, existing, today, Rules(), NOW)
    assert err.value.existing_id == (existing.id if existing and existing.featured_date else None)


def test_rules_are_configurable() -> None:
    old = FRESH.replace(published=NOW - timedelta(days=20))
    check_submission(old, None, 0, Rules(max_age=timedelta(days=30)), NOW)
    with pytest.raises(SubmissionError):
        check_submission(FRESH, None, 1, Rules(per_member_per_day=1), NOW)
