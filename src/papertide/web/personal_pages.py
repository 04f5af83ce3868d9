"""A member's own pages over `Papertide.personal`: saving papers, the library of collections (and a
public collection's page, feed and exports), saved searches with their private feeds and alerts,
and the signals page where every signal is listed, removable and exportable.

Private things answer 404 to anyone but their owner (their ids cannot be probed). A saved search's
feed URL carries a key signed with the site secret over (search id, feed generation): readers need
no cookie, and revoking moves the generation on, so every copy of the old URL stops working.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from papertide.feeds.cards import card
from papertide.mail.links import feed_key, member_sig_ok
from papertide.model import Collection, Member, SavedSearch
from papertide.numbers import MAX_ROW_ID, whole_or_none
from papertide.query import Filters
from papertide.web import views
from papertide.web.context import (
    CsrfField,
    NextField,
    Services,
    context,
    error_response,
    render,
    safe_next,
    services,
    visitor,
)
from papertide.web.deps import Saver, SignedIn, Svc, acting_member, redirect, refusals_shown_on
from papertide.web.feeds import MEDIA_TYPE, atom
from papertide.web.params import FormRowId, RowId, Short, search_params

router = APIRouter(include_in_schema=False)
NameField = Annotated[str, Form(max_length=400)]
LongText = Annotated[str, Form(max_length=20_000)]
Key = Annotated[str, Query(max_length=100)]


def _acting(request: Request, csrf: str, back: str) -> Member:
    """The member behind a form post (CSRF and the "save" rate limit checked)."""
    return acting_member(request, csrf, "save", back)


def feed_url(request: Request, search: SavedSearch) -> str:
    svc = services(request)
    return f"{svc.config.base_url}/feeds/saved/{search.id}?key={feed_key(svc.config.secret, search)}"


# --- saving papers --------------------------------------------------------------------------------------
@router.post("/save")
def save_paper(
    request: Request,
    paper_id: Annotated[str, Form(max_length=100)],
    svc: Svc,
    collection_id: FormRowId = None,
    undo: Annotated[bool, Form()] = False,
    csrf: CsrfField = "",
    next: NextField = "/library",
) -> Response:
    """Save a paper to a collection (the Reading list when none is named), or take it out."""
    member = _acting(request, csrf, next)
    personal = svc.pt.personal
    if undo and collection_id is not None:
        personal.unsave(member.id, paper_id, collection_id)
    else:
        personal.save(member.id, paper_id, collection_id)
    return redirect(request, safe_next(next))


@router.post("/more-like-this")
def more_like_this(
    request: Request,
    paper_id: Annotated[str, Form(max_length=100)],
    svc: Svc,
    undo: Annotated[bool, Form()] = False,
    csrf: CsrfField = "",
    next: NextField = "/for-you",
) -> Response:
    """A private "more like this" mark (a like only recommendations see), or its removal; then
    For you (or `next`), where its effect shows at once."""
    member = _acting(request, csrf, next)
    svc.pt.personal.more_like_this(member.id, paper_id, not undo)
    return redirect(request, safe_next(next))


# --- the library and collections -------------------------------------------------------------------------
def _library(member: Member, svc: Services, **_route_args: object) -> dict[str, Any]:
    return {"collections": svc.pt.personal.collections(member.id), "searches": svc.pt.personal.searches(member.id)}


@router.get("/library")
def library_page(request: Request, member: SignedIn, svc: Svc) -> Response:
    return render(request, "library.html", **_library(member, svc))


@router.post("/library")
@refusals_shown_on("library.html", context=_library)
def create_collection(
    request: Request,
    name: NameField,
    member: Saver,
    svc: Svc,
    description: LongText = "",
    public: Annotated[bool, Form()] = False,
) -> Response:
    made = svc.pt.personal.create_collection(member.id, name, description, public)
    return redirect(request, f"/collections/{made.id}")


def _collection(request: Request, collection_id: RowId) -> Collection:
    """The collection when it is public or the visitor's own; else Missing (a 404)."""
    member = visitor(request).member
    return services(request).pt.personal.collection(collection_id, member.id if member else None)


@router.get("/collections/{collection_id}")
def collection_page(request: Request, collection_id: RowId, svc: Svc) -> Response:
    found, member = _collection(request, collection_id), visitor(request).member
    saved = svc.pt.personal.items(found)
    cards = views.with_votes(context(request), views.TrendingView([views.Item(card(s.paper)) for s in saved])).papers
    owner = svc.pt.accounts.member_by_id(found.member_id)
    return render(
        request,
        "collection.html",
        collection=found,
        entries=list(zip(cards, saved, strict=True)),
        mine=member is not None and member.id == found.member_id,
        owner=owner.handle if owner else "",
        base_url=svc.config.base_url,
    )


@router.post("/collections/{collection_id}")
def change_collection(
    request: Request,
    collection_id: RowId,
    action: Annotated[str, Form(max_length=20)],
    svc: Svc,
    name: NameField = "",
    description: LongText = "",
    public: Annotated[bool, Form()] = False,
    paper_id: Annotated[str, Form(max_length=100)] = "",
    note: LongText = "",
    csrf: CsrfField = "",
) -> Response:
    """One form per change: update (name, description, public), delete, note, remove."""
    here = f"/collections/{collection_id}"
    member = _acting(request, csrf, here)
    personal = svc.pt.personal
    if action == "update":
        personal.update_collection(member.id, collection_id, name=name, description=description, public=public)
    elif action == "delete":
        personal.delete_collection(member.id, collection_id)
        return redirect(request, "/library")
    elif action == "note":
        personal.set_note(member.id, collection_id, paper_id, note)
    elif action == "remove":
        personal.unsave(member.id, paper_id, collection_id)
    else:
        return error_response(request, 400, "action must be update, delete, note or remove")
    return redirect(request, here)


@router.get("/collections/{collection_id}/export.bib")
def collection_bibtex(request: Request, collection_id: RowId, svc: Svc) -> Response:
    found = _collection(request, collection_id)
    text = io.StringIO()
    svc.pt.personal.write_bibtex(found, text)
    disposition = f'attachment; filename="collection-{found.id}.bib"'
    return Response(
        text.getvalue(), media_type="application/x-bibtex; charset=utf-8", headers={"Content-Disposition": disposition}
    )


@router.get("/collections/{collection_id}/export.jsonl")
def collection_jsonl(request: Request, collection_id: RowId, svc: Svc) -> Response:
    found = _collection(request, collection_id)
    lines = io.BytesIO()
    svc.pt.personal.write_jsonl(found, lines)
    disposition = f'attachment; filename="collection-{found.id}.jsonl"'
    return Response(lines.getvalue(), media_type="application/jsonl", headers={"Content-Disposition": disposition})


@router.get("/feeds/collections/{collection_id}")
def collection_feed(request: Request, collection_id: RowId) -> Response:
    """A public collection as Atom (newest saved first); a private one is not served by URL."""
    svc = services(request)
    found = svc.pt.personal.collection(collection_id, viewer_id=None)  # the one rule: no private one by URL
    saved = svc.pt.personal.items(found, 100)
    self_url = f"{svc.config.base_url}/feeds/collections/{found.id}"
    body = atom(
        f"{svc.config.site_name}: {found.name}",
        self_url,
        svc.config.base_url,
        [views.Item(card(s.paper)) for s in saved],
        svc.clock(),
    )
    return Response(body, media_type=MEDIA_TYPE)


# --- saved searches ---------------------------------------------------------------------------------------
@router.post("/saved")
def save_search(
    request: Request,
    q: Annotated[str, Form(max_length=2000)],
    svc: Svc,
    name: NameField = "",
    alert: Annotated[str, Form(max_length=20)] = "off",
    since: Annotated[str, Form(max_length=40)] = "",
    until: Annotated[str, Form(max_length=40)] = "",
    has_code: Annotated[str, Form(max_length=10)] = "",
    min_upvotes: Annotated[str, Form(max_length=20)] = "",
    csrf: CsrfField = "",
) -> Response:
    """Keep the search on the page (its words and filters) under a name, with an optional alert."""
    member = _acting(request, csrf, "/search?q=" + q[:200])
    asked = search_params(q, None, None, since or None, until or None, has_code or None, min_upvotes or None)
    made = svc.pt.personal.save_search(member.id, asked.q, asked.filters, name, alert)
    return redirect(request, f"/saved/{made.id}")


@router.get("/saved")
def saved_searches_page(request: Request) -> Response:
    return redirect(request, "/library#saved-searches")


@router.get("/saved/{search_id}")
def saved_search_page(request: Request, search_id: RowId, member: SignedIn, svc: Svc, p: Short = None) -> Response:
    saved = svc.pt.personal.saved_search(member.id, search_id)  # another member's: a 404
    page = whole_or_none(p, 1, views.MAX_PAGE) or 1
    results = views.search_view(context(request), saved.query, None, "newest", Filters.from_dict(saved.filters), page)
    return render(request, "saved_search.html", saved=saved, results=results, feed=feed_url(request, saved))


@router.post("/saved/{search_id}")
def change_saved_search(
    request: Request,
    search_id: RowId,
    action: Annotated[str, Form(max_length=20)],
    svc: Svc,
    name: NameField = "",
    alert: Annotated[str, Form(max_length=20)] = "off",
    csrf: CsrfField = "",
) -> Response:
    """update (name, alert), revoke-feed, delete."""
    here = f"/saved/{search_id}"
    member = _acting(request, csrf, here)
    personal = svc.pt.personal
    if action == "update":
        personal.update_search(member.id, search_id, name=name, alert=alert)
    elif action == "revoke-feed":
        personal.revoke_feed(member.id, search_id)
    elif action == "delete":
        personal.delete_search(member.id, search_id)
        return redirect(request, "/library#saved-searches")
    else:
        return error_response(request, 400, "action must be update, revoke-feed or delete")
    return redirect(request, here)


@router.get("/feeds/saved/{search_id}")
def saved_search_feed(request: Request, search_id: RowId, key: Key = "") -> Response:
    """The saved search's newest matches as Atom, for feed readers: the key is the authority."""
    svc = services(request)
    saved = svc.pt.personal.feed_search(search_id, svc.config.secret, key)  # a wrong key: a 404
    results = views.search_view(
        views.Context(svc.pt, svc.clock()), saved.query, None, "newest", Filters.from_dict(saved.filters)
    )
    body = atom(
        f"{svc.config.site_name}: {saved.name}",
        feed_url(request, saved),
        svc.config.base_url,
        results.papers,
        svc.clock(),
    )
    return Response(body, media_type=MEDIA_TYPE, headers={"Cache-Control": "private, max-age=300"})


# --- alerts off in one click (the link in every alert mail) ------------------------------------------------
def _alerts_member(request: Request, m: str, sig: str) -> Member | None:
    svc = services(request)
    member_id = whole_or_none(m, 1, MAX_ROW_ID)
    member = svc.pt.accounts.member_by_id(member_id)
    return member if member_sig_ok(svc.config.secret, sig, "alerts-off", member) else None


@router.get("/alerts/off")
def alerts_off_page(request: Request, m: Key = "", sig: Key = "") -> Response:
    member = _alerts_member(request, m, sig)  # a GET changes nothing: mail scanners follow links
    if member is None:
        return error_response(request, 400, "this link is not valid")
    return render(request, "alerts_off.html", m=m, sig=sig, email=member.email, done=False)


@router.post("/alerts/off")
def alerts_off(request: Request, svc: Svc, m: Key = "", sig: Key = "") -> Response:
    member = _alerts_member(request, m, sig)
    if member is None:
        return error_response(request, 400, "this link is not valid")
    svc.pt.personal.alerts_off(member.id)
    return render(request, "alerts_off.html", m=m, sig=sig, email=member.email, done=True)


# --- signals: the member's own data -------------------------------------------------------------------------
@router.get("/signals")
def signals_page(request: Request, member: SignedIn, svc: Svc) -> Response:
    pt = svc.pt
    signals = pt.personal.signals(member.id, 500)
    papers = pt.papers(
        [*signals.upvoted, *signals.saved, *signals.more_like_this, *signals.not_interested]
        + [i for i, _ in signals.opened]
    )

    def titled(ids: list[str]) -> list[tuple[str, str]]:
        return [(i, papers[i].title) for i in ids if i in papers]

    return render(
        request,
        "signals.html",
        upvoted=titled(signals.upvoted),
        saved=titled(signals.saved),
        more_like_this=titled(signals.more_like_this),
        not_interested=titled(signals.not_interested),
        opened=[(i, papers[i].title, at) for i, at in signals.opened if i in papers],
        hide_seen=member.hide_seen,
    )


@router.post("/signals")
def change_signals(
    request: Request,
    action: Annotated[str, Form(max_length=20)],
    svc: Svc,
    paper_id: Annotated[str, Form(max_length=100)] = "",
    csrf: CsrfField = "",
    next: NextField = "/signals",
) -> Response:
    """hide-seen, show-seen, forget-opened (one paper, or all without paper_id)."""
    member = _acting(request, csrf, "/signals")
    personal = svc.pt.personal
    if action in ("hide-seen", "show-seen"):
        personal.set_hide_seen(member, action == "hide-seen")
    elif action == "forget-opened":
        personal.forget_opened(member.id, [paper_id] if paper_id else None)
    else:
        return error_response(request, 400, "action must be hide-seen, show-seen or forget-opened")
    return redirect(request, safe_next(next))


@router.get("/signals.json")
def signals_export(member: SignedIn, svc: Svc) -> Response:
    body = svc.pt.personal.export(member)
    headers = {"Content-Disposition": f'attachment; filename="papertide-{member.handle}-signals.json"'}
    return Response(orjson.dumps(body, option=orjson.OPT_INDENT_2), media_type="application/json", headers=headers)


__all__ = ["router"]
