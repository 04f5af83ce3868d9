"""The `papertide` command: a thin shell over `papertide.Papertide`, its commands grouped by noun
(catalogue, searching, serving, digests, members). Exit codes: 0 ok, 1 error, 2 usage."""

from __future__ import annotations

import click

from papertide.cli import catalogue, digests, members, searching, serving


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="papertide")
def main() -> None:
    """papertide: a self-hosted research-paper discovery service."""


for _command in (*catalogue.COMMANDS, *searching.COMMANDS, *serving.COMMANDS, *digests.COMMANDS, *members.COMMANDS):
    main.add_command(_command)

__all__ = ["main"]
