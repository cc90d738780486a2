"""Authentication and authorisation: identities, accounts, tokens, permissions."""

from .accounts import AccountService
from .authenticator import Authenticator
from .identity import ANONYMOUS, Action, Credentials, Event, Identity, parse_authorization
from .oauth import TokenEndpoint
from .permissions import Authorizer, Grants

__all__ = ["ANONYMOUS", "AccountService", "Action", "Authenticator", "Authorizer", "Credentials", "Event",
           "Grants", "Identity", "TokenEndpoint", "parse_authorization"]
