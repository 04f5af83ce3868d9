"""`papertide members`: operators set members' roles (moderator, admin) — a thin shell over
`Papertide.moderation`."""

from __future__ import annotations

import click

from papertide.cli.console import out, with_catalogue
from papertide.core import Papertide
from papertide.members.moderation import ROLES, ModerationError


@click.group("members")
def members_group() -> None:
    """Members' roles."""


@members_group.command("role")
@click.argument("handle")
@click.argument("role", type=click.Choice(ROLES))
@with_catalogue()
def role(pt: Papertide, handle: str, role: str) -> None:
    """Give member HANDLE a ROLE: moderators see reports and can hide comments and suspend members;
    admins can also suspend moderators and read the moderation log. Logged like a moderator's act."""
    try:
        member = pt.moderation.set_role(handle, role)
    except ModerationError as exc:
        raise click.ClickException(str(exc)) from exc
    out.print(f"{member.handle} is now {member.role}", highlight=False, markup=False)


COMMANDS = [members_group]
