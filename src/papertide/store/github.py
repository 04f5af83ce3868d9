"""GitHub star counts in SQL: which repositories papers link to, each one's last answer, its daily
history, and the count copied onto its papers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from papertide.ids import github_repo
from papertide.store.community import _upsert_any, bump_catalogue_version
from papertide.store.schema import github_repos, github_stars, papers

_CHUNK = 500


class SqlGithub:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name

    def targets(self) -> list[tuple[str, list[int], str | None]]:
        """(repository, pks of the papers linking to it, its last ETag) for every repository papers
        link to, those never checked first, then those checked longest ago."""
        by_repo: dict[str, list[int]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(papers.c.pk, papers.c.code_url).where(papers.c.code_url.like("%github.com/%"))
            )
            for pk, url in rows:
                if (repo := github_repo(url)) is not None:
                    by_repo.setdefault(repo, []).append(pk)
            known = {
                r.repo: (r.etag, r.checked_at, r.gone)
                for r in conn.execute(
                    sa.select(github_repos.c.repo, github_repos.c.etag, github_repos.c.checked_at, github_repos.c.gone)
                )
            }
        order = sorted(by_repo, key=lambda r: (r in known, known[r][1] if r in known else datetime.min, r))
        return [(r, by_repo[r], known[r][0] if r in known else None) for r in order]

    def record(
        self, repo: str, pks: Sequence[int], stars: int | None, etag: str | None, gone: bool, day: date, now: datetime
    ) -> bool:
        """Store one answer: the repository row, today's history row (the day's last count wins) and
        the count on its papers; whether the papers' count changed."""
        with self.engine.begin() as conn:
            values: dict[str, Any] = {"checked_at": now, "gone": gone}
            if stars is not None:
                values["stars"] = stars
            if etag is not None or gone:
                values["etag"] = etag
            _upsert_any(conn, self.dialect, github_repos, {"repo": repo, **values}, ["repo"], values)
            if stars is None:
                return False
            day_values = {"stars": stars}
            _upsert_any(
                conn, self.dialect, github_stars, {"repo": repo, "day": day, **day_values}, ["repo", "day"], day_values
            )
            changed = 0
            for i in range(0, len(pks), _CHUNK):
                chunk = list(pks[i : i + _CHUNK])
                differs = sa.or_(papers.c.github_stars.is_(None), papers.c.github_stars != stars)
                changed += conn.execute(
                    papers.update().where(papers.c.pk.in_(chunk), differs).values(github_stars=stars)
                ).rowcount
            if changed:
                bump_catalogue_version(conn)
            return bool(changed)

    def touch(self, repo: str, now: datetime, day: date) -> None:
        """An unchanged answer (304): the check time moves on and today's history row repeats the count."""
        with self.engine.begin() as conn:
            conn.execute(github_repos.update().where(github_repos.c.repo == repo).values(checked_at=now))
            stars = conn.execute(sa.select(github_repos.c.stars).where(github_repos.c.repo == repo)).scalar()
            if stars is not None:
                _upsert_any(
                    conn,
                    self.dialect,
                    github_stars,
                    {"repo": repo, "day": day, "stars": stars},
                    ["repo", "day"],
                    {"stars": stars},
                )

    def histories(self, since: date) -> dict[str, list[tuple[date, int]]]:
        """Each repository's daily counts from `since` on (plus the last one before it: the baseline)."""
        out: dict[str, list[tuple[date, int]]] = {}
        with self.engine.connect() as conn:
            before = (
                sa.select(github_stars.c.repo, sa.func.max(github_stars.c.day).label("day"))
                .where(github_stars.c.day < since)
                .group_by(github_stars.c.repo)
                .subquery()
            )
            baselines = conn.execute(
                sa.select(github_stars.c.repo, github_stars.c.day, github_stars.c.stars).join(
                    before, sa.and_(before.c.repo == github_stars.c.repo, before.c.day == github_stars.c.day)
                )
            )
            recent = conn.execute(
                sa.select(github_stars.c.repo, github_stars.c.day, github_stars.c.stars).where(
                    github_stars.c.day >= since
                )
            )
            for repo, day, stars in [*baselines, *recent]:
                out.setdefault(repo, []).append((day, stars))
        return out

    def papers_of(self, repos: Iterable[str]) -> dict[str, list[int]]:
        """{repository: pks of the papers linking to it} for `repos`."""
        wanted = set(repos)
        return {r: pks for r, pks, _ in self.targets() if r in wanted}
