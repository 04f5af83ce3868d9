"""The JSON API's shapes: pydantic models that both document the API (OpenAPI) and write every
response, in Hugging Face's field names, types and date format wherever the shape is HF's (so that
`huggingface_hub.HfApi` parses papertide's answers), built from the cards every renderer shares."""

from __future__ import annotations

from pydantic import BaseModel, Field

from papertide.feeds.cards import Card
from papertide.web.views import Item


def hf_datetime(value: str | None) -> str | None:
    """An ISO date or date-time (naive UTC) as HF writes it: 2025-10-20T00:00:00.000Z."""
    if not value:
        return None
    if len(value) == 10:
        return f"{value}T00:00:00.000Z"
    base, _, fraction = value[:26].partition(".")
    return f"{base[:19]}.{(fraction + '000')[:3]}Z"


class UserOut(BaseModel):
    """A member as HF's `User` reads it (`user` is the handle)."""

    user: str
    fullname: str
    avatarUrl: str = ""
    type: str = "user"
    isPro: bool = False


class OrganizationOut(BaseModel):
    name: str
    fullname: str
    avatarUrl: str = ""


class AuthorOut(BaseModel):
    name: str
    hidden: bool = False
    user: UserOut | None = Field(default=None, description="the member who claimed this name (approved by a moderator)")
    status: str | None = Field(default=None, description='"claimed_verified" when a member\'s claim was approved')


class PaperOut(BaseModel):
    id: str
    title: str
    summary: str
    authors: list[AuthorOut]
    publishedAt: str | None = Field(description="first published on arXiv (HF's format: 2025-10-20T00:00:00.000Z)")
    submittedOnDailyAt: str | None = Field(description="when it was featured in the daily feed")
    submittedOnDailyBy: UserOut | None = None
    upvotes: int
    numComments: int = 0
    githubRepo: str | None = None
    githubStars: int | None = None
    keywords: list[str] = Field(default_factory=list, description="key phrases computed at index time")
    ai_keywords: list[str] | None = Field(None, description="the same, under Hugging Face's name (null: none yet)")
    projectPage: str | None = None
    organization: OrganizationOut | None = None
    discussionId: str | None = None
    categories: list[str] = []


class DailyEntry(BaseModel):
    paper: PaperOut
    publishedAt: str | None = Field(description="when it was featured (HF's format)")
    title: str
    summary: str
    thumbnail: str | None = None
    numComments: int = 0
    isAuthorParticipating: bool = False
    submittedBy: UserOut | None = None
    organization: OrganizationOut | None = None


class Highlight(BaseModel):
    """Where the query's words are (character ranges, end exclusive): in the title, and in a
    query-biased snippet of the abstract."""

    title: list[tuple[int, int]]
    snippet: str
    snippetMarks: list[tuple[int, int]]
    snippetClippedStart: bool
    snippetClippedEnd: bool


class SearchHit(BaseModel):
    paper: PaperOut
    title: str
    summary: str
    score: float | None = None
    highlight: Highlight | None = Field(None, description="with `highlight=true`")


class PaperPage(BaseModel):
    """A page of the whole catalogue in a stable order; `nextCursor` asks for the next one."""

    papers: list[PaperOut]
    nextCursor: str | None = None


class VoteOut(BaseModel):
    id: str
    voted: bool
    upvotes: int


class RecommendationOut(BaseModel):
    paper: PaperOut
    score: float
    because: str | None = Field(description="the id of the upvoted paper it is recommended for")


class NotInterestedOut(BaseModel):
    id: str
    notInterested: bool


class SubmitIn(BaseModel):
    id: str = Field(max_length=200, description="arXiv id or abs/pdf URL")


class ErrorOut(BaseModel):
    error: str


def user_out(handle: str | None) -> UserOut | None:
    return UserOut(user=handle, fullname=handle) if handle else None


def paper_out(c: Card) -> PaperOut:
    """A card in HF's field names."""
    org = c.organization
    return PaperOut(
        id=c.id,
        title=c.title,
        summary=c.abstract,
        authors=[AuthorOut(name=n) for n in c.authors],
        publishedAt=hf_datetime(c.published),
        submittedOnDailyAt=hf_datetime(c.featured_date),
        submittedOnDailyBy=user_out(c.submitted_by),
        upvotes=c.upvotes,
        numComments=c.num_comments,
        githubRepo=c.code_url,
        githubStars=c.github_stars,
        keywords=list(c.keywords),
        ai_keywords=list(c.keywords) or None,
        projectPage=c.project_url,
        organization=OrganizationOut(name=org, fullname=org) if org else None,
        categories=list(c.categories),
    )


def daily_entry(c: Card) -> DailyEntry:
    paper = paper_out(c)
    return DailyEntry(
        paper=paper,
        publishedAt=hf_datetime(c.featured_date),
        title=paper.title,
        summary=paper.summary,
        submittedBy=paper.submittedOnDailyBy,
        organization=paper.organization,
        numComments=c.num_comments,
    )


def search_hit(item: Item, highlight: bool) -> SearchHit:
    c, marked = item.card, item.marked
    shown = None
    if highlight and marked is not None:
        s = marked.snippet
        shown = Highlight(
            title=marked.title,
            snippet=s.text,
            snippetMarks=s.marks,
            snippetClippedStart=s.clipped_start,
            snippetClippedEnd=s.clipped_end,
        )
    return SearchHit(paper=paper_out(c), title=c.title, summary=c.abstract, score=item.score, highlight=shown)
