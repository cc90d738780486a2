"""Goodman proposals: records, visibility to members, staff management, and collaborators added and removed
by e-mail (users created through the core when missing) — spec §8.6."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from typing import Any

import peewee

from sciplane import APIError, Conflict, Identity, PermissionDenied, ValidationFailed, write_transaction
from sciplane.auth.accounts import EMAIL_RE
from sciplane.auth.models import User

from .. import access
from ..models import COLLABORATOR, PI, PROPOSAL, Group, Membership, name_key
from ..wire.text import text_problem
from ..wire.times import stamp

_USERNAME_DROP = re.compile(r"[^A-Za-z0-9@.+_-]")
ACTIONS = ("add", "remove")


def user_record(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username, "last_login": stamp(user.last_login),
            "first_name": user.first_name or "", "last_name": user.last_name or "", "email": user.email or "",
            "is_staff": user.is_staff, "is_active": user.is_active, "date_joined": stamp(user.date_joined)}


def render(proposals: list[Group]) -> list[dict[str, Any]]:
    """Proposal records with the PI and the collaborators (in the order they were added), in two queries."""
    ids = [p.id for p in proposals]
    members: dict[int, list[int]] = {i: [] for i in ids}
    for group_id, user_id in (Membership.select(Membership.group, Membership.user_id)
                              .where(Membership.group.in_(ids) & (Membership.role == COLLABORATOR))
                              .order_by(Membership.created, Membership.id).tuples()):
        members[group_id].append(user_id)
    wanted = {p.pi_id for p in proposals if p.pi_id is not None} | {u for us in members.values() for u in us}
    users = {u.id: u for u in User.select().where(User.id.in_(sorted(wanted)))} if wanted else {}
    return [{"id": p.id, "soar_id": p.name, "semester": p.semester, "title": p.title, "abstract": p.abstract,
             "user": user_record(users.get(p.pi_id)),
             "collaborators": [user_record(users[u]) for u in members[p.id] if u in users]} for p in proposals]


def visible(identity: Identity) -> peewee.Expression:
    """Staff see every proposal; others those they hold a membership in."""
    if identity.staff:
        return Group.kind == PROPOSAL
    mine = Membership.select(Membership.group).where(Membership.user_id == identity.user_id)
    return (Group.kind == PROPOSAL) & Group.id.in_(mine)


def get_visible(identity: Identity, proposal_id: int) -> Group:
    proposal = Group.select().where((Group.id == proposal_id) & visible(identity)).first()
    if proposal is None:
        raise access.missing(identity)
    return proposal


def user_for_email(accounts, email: str, identity: Identity, *, create: bool) -> User | None:
    """The user with this e-mail (case-insensitive); created (username from the local part) when asked."""
    email = email.strip()
    user = accounts.find_user(email) if EMAIL_RE.match(email) else None
    if user is not None and (user.email or "").lower() == email.lower():
        return user
    if not create:
        return None
    base = _USERNAME_DROP.sub("", email.split("@", 1)[0]) or "user"
    for n in itertools.count(1):
        username = base if n == 1 else f"{base}_{n}"
        if accounts.find_user(username) is not None:
            continue
        try:
            return accounts.create_user(username, email=email, first_name="", last_name="", actor=identity)
        except Conflict:  # taken meanwhile
            continue
    raise AssertionError("unreachable")


def collaborators(accounts, identity: Identity, proposal_id: int, params: Mapping[str, Any]) -> Group:
    """``add`` or ``remove`` the collaborator with ``email``; only the PI and staff may."""
    proposal = get_visible(identity, proposal_id)
    if not identity.staff and proposal.pi_id != identity.user_id:
        raise APIError("Only the PI or staff can change collaborators.", status=403, code="not_proposal_pi")
    email, action = str(params.get("email") or "").strip(), params.get("action")
    errors: dict[str, list] = {}
    if not email:
        errors["email"] = ["This field is required."]
    elif not EMAIL_RE.match(email):
        errors["email"] = ["Enter a valid email address."]
    if action in (None, ""):
        errors["action"] = ["This field is required."]
    elif action not in ACTIONS:
        errors["action"] = [f'"{action}" is not a valid choice.']
    if errors:
        raise ValidationFailed(errors=errors)
    with write_transaction():
        user = user_for_email(accounts, email, identity, create=action == "add")
        if user is not None and user.id == proposal.pi_id:
            raise ValidationFailed(errors={"email": ["This user is the proposal's PI."]})
        if user is not None and action == "add":
            (Membership.insert(group=proposal, user_id=user.id, role=COLLABORATOR)
             .on_conflict_ignore().execute())
        elif user is not None:
            Membership.delete().where((Membership.group == proposal) & (Membership.user_id == user.id)
                                      & (Membership.role == COLLABORATOR)).execute()
    return proposal


def create(accounts, identity: Identity, body: Mapping[str, Any]) -> Group:
    if not identity.staff:
        raise PermissionDenied()
    errors: dict[str, list] = {}
    semester = str(body.get("semester") or "").strip()
    title = str(body.get("title") or "").strip()
    soar_id = str(body.get("soar_id") or "").strip()
    for field, value, limit in (("semester", semester, 10), ("title", title, 300), ("soar_id", soar_id, 150)):
        if not value and field != "soar_id":
            errors[field] = ["This field is required."]
        elif (problem := text_problem(value, limit)) is not None:
            errors[field] = [problem]
    abstract = str(body.get("abstract") or "")
    if (problem := text_problem(abstract)) is not None:
        errors["abstract"] = [problem]
    with write_transaction():
        pi = _pi(accounts, identity, body, errors)
        if errors:
            raise ValidationFailed(errors=errors)
        soar_id = soar_id or _next_soar_id(semester)
        try:
            with write_transaction():
                proposal = Group.create(kind=PROPOSAL, name=soar_id, name_key=name_key(soar_id), semester=semester,
                                        title=title, abstract=str(body.get("abstract") or ""), pi_id=pi.id)
                Membership.create(group=proposal, user_id=pi.id, role=PI)
        except peewee.IntegrityError:
            raise ValidationFailed(errors={"soar_id": ["A group or proposal with this name already exists."]}) from None
    return proposal


def _next_soar_id(semester: str) -> str:
    count = Group.select().where((Group.kind == PROPOSAL) & (Group.semester == semester)).count()
    return f"SOAR{semester}-{count + 1:03d}"


def _pi(accounts, identity: Identity, body: Mapping[str, Any], errors: dict) -> User | None:
    if body.get("pi_email"):
        if not EMAIL_RE.match(str(body["pi_email"]).strip()):
            errors["pi_email"] = ["Enter a valid email address."]
            return None
        return user_for_email(accounts, str(body["pi_email"]), identity, create=True)
    pi = body.get("pi")
    user = User.get_or_none(User.id == pi) if isinstance(pi, int) and not isinstance(pi, bool) else None
    if user is None:
        errors["pi"] = [f'Invalid pk "{pi}" - object does not exist.' if pi is not None
                        else "This field is required."]
    return user


def update(accounts, identity: Identity, proposal_id: int, body: Mapping[str, Any]) -> Group:
    """Staff change ``soar_id``, ``semester``, ``title``, ``abstract`` or ``pi``; a new SOAR id applies to
    file visibility at once (rule P4 matches by name at query time)."""
    if not identity.staff:
        raise PermissionDenied()
    with write_transaction():
        proposal = get_visible(identity, proposal_id)
        errors: dict[str, list] = {}
        for field, column, limit in (("soar_id", "name", 150), ("semester", "semester", 10), ("title", "title", 300),
                                     ("abstract", "abstract", None)):
            if field in body:
                value = str(body[field] or "").strip()
                if field in ("soar_id", "title") and not value:
                    errors[field] = ["This field may not be blank."]
                elif (problem := text_problem(value, limit)) is not None:
                    errors[field] = [problem]
                else:
                    setattr(proposal, column, value)
        pi = _pi(accounts, identity, body, errors) if "pi" in body or "pi_email" in body else None
        if errors:
            raise ValidationFailed(errors=errors)
        proposal.name_key = name_key(proposal.name)
        if pi is not None and pi.id != proposal.pi_id:
            Membership.delete().where((Membership.group == proposal) & (Membership.role == PI)).execute()
            Membership.delete().where((Membership.group == proposal) & (Membership.user_id == pi.id)).execute()
            Membership.create(group=proposal, user_id=pi.id, role=PI)
            proposal.pi_id = pi.id
        try:
            with write_transaction():
                proposal.save()
        except peewee.IntegrityError:
            raise ValidationFailed(errors={"soar_id": ["A group or proposal with this name already exists."]}) from None
    return proposal
