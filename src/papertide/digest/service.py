"""`Digests`: the digest and the saved-search alerts as the shells use them (the web's digest
settings and web view, `papertide digest send`, `papertide alerts send`, `papertide worker`), over
the store the catalogue holds; the shells bring only the mailers and the mail configuration."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import date, datetime

from papertide.digest import Composer, Digest, MailConfig, Mailer, Recommender, Report, run_worker, send_all
from papertide.digest.alerts import AlertReport, send_alerts
from papertide.model import Member, Subscription
from papertide.store import Store


class Digests:
    def __init__(self, store: Store, clock: Callable[[], datetime], recommend: Recommender | None = None) -> None:
        self._store, self._clock, self._recommend = store, clock, recommend

    # --- a member's subscription --------------------------------------------------------------------
    def subscription(self, member_id: int) -> Subscription | None:
        """The member's digest settings; None when they never subscribed."""
        return self._store.digests.subscription(member_id)

    def save_subscription(self, sub: Subscription) -> None:
        self._store.digests.save_subscription(sub, self._clock())

    def unsubscribe(self, member_id: int) -> bool:
        """Stop the member's digest (the one-click link in every digest); whether it was on."""
        return self._store.digests.unsubscribe(member_id, self._clock())

    def compose(self, member: Member, day: date, sub: Subscription | None = None) -> Digest:
        """The member's digest of `day` as it is mailed (the web view of a digest), on the member's
        own settings unless `sub` is given. Its saved-search section is the (member, day) claim the
        mail holds, so the web view and the mail show the same papers."""
        chosen = sub or self.subscription(member.id) or Subscription(member.id)
        return Composer(self._store, self._clock(), self._recommend).compose(member, chosen, day)

    # --- sending ------------------------------------------------------------------------------------
    def send(
        self,
        mailers: Mailer | Sequence[Mailer],
        config: MailConfig,
        *,
        day: date | None = None,
        dry_run: bool = False,
        now: datetime | None = None,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Report:
        """Send every digest due now (or every digest of `day`), each (member, day) once (see `send_all`)."""
        return send_all(
            self._store,
            mailers,
            config,
            now or self._clock(),
            day,
            dry_run=dry_run,
            retries=retries,
            sleep=sleep,
            recommend=self._recommend,
        )

    def send_alerts(
        self,
        mailer: Mailer,
        config: MailConfig,
        *,
        now: datetime | None = None,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> AlertReport:
        """Mail the new papers matching members' saved searches with immediate alerts, each paper to
        a member once (see `alerts.send_alerts`)."""
        return send_alerts(self._store, mailer, config, now or self._clock(), retries=retries, sleep=sleep)

    def run_worker(
        self,
        mailers: Sequence[Mailer],
        config: MailConfig,
        interval: float = 60.0,
        iterations: int | None = None,
        *,
        on_report: Callable[[Report], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Every `interval` seconds: the digests that are due, then the saved-search alerts (on the
        first mailer); a failed round is logged and the next one goes on (`digest.run_worker`)."""
        run_worker(
            self._store,
            mailers,
            config,
            self._clock,
            interval,
            iterations,
            sleep=sleep,
            on_report=on_report,
            recommend=self._recommend,
            after_round=lambda now: send_alerts(self._store, mailers[0], config, now, sleep=sleep),
        )


__all__ = ["Digests"]
