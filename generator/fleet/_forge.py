"""The forges of `scaffold fleet update`: whoever turns a pushed branch into a proposal.

Once `scaffold/update-<version>` is pushed, a forge proposes it: GitHub opens a pull request,
the local forge (plain git remotes, or a dry run) has nothing to open and just names the branch.
A fleet update is re-run after partial failures, so proposing must be idempotent: `find` comes
first, and a pull request GitHub says already exists is looked up rather than reported.

GitHub is spoken to with the standard library only (urllib), and the token is guarded: it goes
to the API URL and nowhere else (https only, except to a loopback test server; redirects are
never followed), and it never appears in a message or a repr.

Request shapes, as GitHub documents them (REST API version 2022-11-28):
  https://docs.github.com/rest/pulls/pulls#list-pull-requests   (GET, head=owner:branch, state)
  https://docs.github.com/rest/pulls/pulls#create-a-pull-request  (POST title/head/base/body, 201)
  https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api  (headers)
  https://docs.github.com/rest/overview/api-versions             (X-GitHub-Api-Version)
  https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api  (403/429 headers)
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from typing import IO, Any, Protocol
from urllib.parse import quote, urlencode, urlsplit

from generator import __version__
from generator.errors import ForgeError, UsageError

DEFAULT_API_URL = "https://api.github.com"
FORGES = ("local", "github")
API_VERSION = "2022-11-28"
TIMEOUT = 30.0  # seconds, per request: a hung API must not hang a 200-service update
_MAX_BODY = 4 * 1024 * 1024  # a pulls answer is a few kB; never hold an unbounded body
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_SCP_LIKE = re.compile(r"(?:[^@/:]+@)?[^/:]+:")  # git@github.com:acme/pay.git (git's rule)
_PERMISSIONS_HINT = (
    "GITHUB_TOKEN must be allowed to open pull requests on {slug} "
    "(fine-grained token: 'Pull requests: read and write'; classic token: 'repo' scope)"
)


class Forge(Protocol):
    """Where a pushed update branch becomes a proposal; find and propose never duplicate one."""

    name: str  # "local" or "github"

    def find(self, repo: str, branch: str) -> str | None:
        """Return the URL of an open pull request whose head is branch in repo, or None."""
        ...

    def propose(self, repo: str, *, base: str, branch: str, title: str, body: str) -> str:
        """Propose branch for merging into base; return where the proposal can be seen."""
        ...


class LocalForge:
    """No forge at all: the pushed branch is the proposal, so there is nothing to find or open."""

    name = "local"

    def find(self, repo: str, branch: str) -> str | None:
        return None

    def propose(self, repo: str, *, base: str, branch: str, title: str, body: str) -> str:
        return f"branch {branch}"


def repo_slug(repo: str) -> str:
    """GitHub's "owner/name" of a repository given as a git URL, an scp-like address or a path.

    The last two path components are taken, so https://github.com/acme/pay.git,
    git@github.com:acme/pay.git, ssh://git@ghe.corp/acme/pay and /srv/git/acme/pay.git all give
    acme/pay. They are checked against GitHub's name characters because they become part of an
    API path (no "..", no "?").
    """
    text = repo.strip()
    if "://" in text:
        path = urlsplit(text).path
    elif _SCP_LIKE.match(text):
        path = text.split(":", 1)[1]
    else:
        path = text
    parts = [part for part in path.replace("\\", "/").split("/") if part]
    if len(parts) >= 2:
        owner, name = parts[-2], parts[-1].removesuffix(".git")
        if all(_NAME.fullmatch(part) and part not in {".", ".."} for part in (owner, name)):
            return f"{owner}/{name}"
    raise UsageError(
        f"cannot tell the GitHub repository (owner/name) of {_redact_url(repo)!r}",
        hint="give it as https://github.com/OWNER/NAME.git or git@github.com:OWNER/NAME.git",
    )


def make_forge(name: str | None, repo_is_local: bool, env: Mapping[str, str]) -> Forge:
    """Return the forge --forge names; by default GitHub, unless the repositories are paths.

    GitHub needs GITHUB_TOKEN; GITHUB_API_URL points at GitHub Enterprise (https://HOST/api/v3).
    """
    chosen = name if name is not None else ("local" if repo_is_local else "github")
    if chosen == "local":
        return LocalForge()
    if chosen == "github":
        token = env.get("GITHUB_TOKEN", "").strip()
        if not token:
            raise UsageError(
                "proposing pull requests on GitHub needs a token in GITHUB_TOKEN",
                hint="export GITHUB_TOKEN with 'Pull requests: read and write' on the "
                "repositories, or pass --forge local to only push the branches",
            )
        return GitHubForge(token, env.get("GITHUB_API_URL", "").strip() or DEFAULT_API_URL)
    raise UsageError(f"unknown forge {chosen!r}", hint=f"choose one of {', '.join(FORGES)}")


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any  # the decoded JSON, or None when there was none
    headers: Message


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse every redirect: urllib would replay the Authorization header to the new host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None  # the 3xx then surfaces as an HTTPError, reported by _refusal


class GitHubForge:
    """Pull requests through GitHub's REST API (github.com, or GitHub Enterprise's /api/v3)."""

    name = "github"

    def __init__(self, token: str, api_url: str = DEFAULT_API_URL) -> None:
        self._token = _check_token(token)
        self.api_url = _check_api_url(api_url)
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        if urlsplit(self.api_url).hostname in _LOOPBACK:
            # A proxy from the environment would see a plain-http token; loopback needs none.
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def __repr__(self) -> str:
        return f"GitHubForge(api_url={self.api_url!r})"  # never the token

    def find(self, repo: str, branch: str) -> str | None:
        """Ask GitHub for the open pull request from branch, with head=owner:branch.

        The head filter needs the owner prefix (without it GitHub ignores the filter and lists
        every pull request), and each answer's head ref is checked again all the same.
        """
        slug = repo_slug(repo)
        owner = slug.split("/")[0]
        path = _pulls_path(slug)
        answer = self._send("GET", path, query={"head": f"{owner}:{branch}", "state": "open"})
        if not 200 <= answer.status < 300:
            raise self._refusal("GET", path, slug, answer)
        if not isinstance(answer.body, list):
            raise _unexpected("GET", path, "a list of pull requests")
        for pull in answer.body:
            if not isinstance(pull, dict) or not isinstance(pull.get("html_url"), str):
                raise _unexpected("GET", path, "pull requests with an html_url")
            head = pull.get("head")
            if isinstance(head, dict) and head.get("ref") not in (None, branch):
                continue
            return str(pull["html_url"])
        return None

    def propose(self, repo: str, *, base: str, branch: str, title: str, body: str) -> str:
        """Open a pull request from branch into base; if one is open already, return it."""
        slug = repo_slug(repo)
        path = _pulls_path(slug)
        payload = {"title": title, "head": branch, "base": base, "body": body}
        answer = self._send("POST", path, payload=payload)
        if 200 <= answer.status < 300:
            if isinstance(answer.body, dict) and isinstance(answer.body.get("html_url"), str):
                return str(answer.body["html_url"])
            raise _unexpected("POST", path, "a pull request with an html_url")
        if answer.status == 422 and _already_exists(answer.body):
            existing = self.find(repo, branch)
            if existing is not None:
                return existing
            raise ForgeError(
                f"GitHub says a pull request from {branch} already exists in {slug}, "
                "but lists none open",
                hint="it may come from another owner's fork; check the repository's pull requests",
            )
        raise self._refusal("POST", path, slug, answer)

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        payload: Mapping[str, str] | None = None,
    ) -> _Answer:
        """Send one request to the API URL; return GitHub's answer, whatever its status.

        Only a failure to get an answer at all (DNS, TLS, refused connection, timeout) raises.
        """
        url = self.api_url + path + (f"?{urlencode(query)}" if query else "")
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": f"scaffold/{__version__}",
        }
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        # The URL's scheme and host were checked by _check_api_url: https, or loopback http.
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        try:
            with self._opener.open(request, timeout=TIMEOUT) as response:
                raw = response.read(_MAX_BODY)
                try:
                    decoded = json.loads(raw) if raw.strip() else None
                except ValueError:
                    raise _unexpected(method, path, "JSON") from None
                return _Answer(response.status, decoded, response.headers)
        except urllib.error.HTTPError as err:
            with err:
                raw = _read_quietly(err)
            return _Answer(err.code, _json_or_none(raw), err.headers)
        except (OSError, http.client.HTTPException, ValueError) as err:
            reason = err.reason if isinstance(err, urllib.error.URLError) else err
            said = f"timed out after {TIMEOUT:g} s" if isinstance(reason, TimeoutError) else reason
            raise ForgeError(
                f"could not reach GitHub at {self.api_url} for {method} {path}: "
                f"{self._clean(str(said) or type(reason).__name__)}",
                hint="check the network, a proxy (HTTPS_PROXY) and GITHUB_API_URL",
            ) from None

    def _refusal(self, method: str, path: str, slug: str, answer: _Answer) -> ForgeError:
        """GitHub's refusal as one line: method, path, status and GitHub's own message."""
        status, headers = answer.status, answer.headers
        body = answer.body if isinstance(answer.body, dict) else {}
        message = self._clean(str(body.get("message") or ""))
        details = self._clean("; ".join(_error_details(body.get("errors"))))
        said = f"{status} {message}".strip() + (f" ({details})" if details else "")
        if 300 <= status < 400:
            return ForgeError(
                f"GitHub redirected {method} {path} to "
                f"{self._clean(_redact_url(headers.get('Location', '?')))} ({status}); "
                f"not followed, so the token stays with {self.api_url}",
                hint="if the repository was renamed or moved, update the fleet file; "
                "otherwise check GITHUB_API_URL",
            )
        retry_after = (headers.get("Retry-After") or "").strip()
        if status in (403, 429) and (headers.get("X-RateLimit-Remaining") == "0" or retry_after):
            reset = headers.get("X-RateLimit-Reset") or ""
            if retry_after:
                when = f"GitHub asks to wait {self._clean(retry_after)} s"
            elif reset.isdigit():
                at = datetime.fromtimestamp(int(reset), tz=UTC).strftime("%H:%M:%S UTC")
                when = f"the limit resets at {at}"
            else:
                when = "wait for the limit to reset"
            return ForgeError(
                f"GitHub rate limit hit on {method} {path}: {said}",
                hint=f"{when}, then run the update again (services already proposed are skipped)",
            )
        verb = "failed" if status >= 500 else "refused"
        hints = {
            401: "GITHUB_TOKEN was not accepted: check it is valid and has not expired",
            403: _PERMISSIONS_HINT.format(slug=slug),
            404: f"check {slug} exists on {self.api_url}; " + _PERMISSIONS_HINT.format(slug=slug),
            422: "check the base branch exists and the update branch was pushed",
        }
        trouble = "GitHub may be having trouble; run the update again later"
        hint = hints.get(status, trouble if status >= 500 else "")
        return ForgeError(f"GitHub {verb} {method} {path}: {said}", hint=hint)

    def _clean(self, text: str) -> str:
        """One short line with the token blanked out, whatever a server or library echoed."""
        line = " ".join(text.split()).replace(self._token, "***")
        return line if len(line) <= 300 else line[:297] + "..."


def _check_token(token: str) -> str:
    """Return the token if it can go in a header (a stray newline would be echoed back)."""
    token = token.strip()
    if not token:
        raise UsageError("the GitHub token is empty", hint="set GITHUB_TOKEN")
    if not all(33 <= ord(char) < 127 for char in token):
        raise UsageError(
            "the GitHub token contains spaces, control or non-ASCII characters",
            hint="set GITHUB_TOKEN to the token alone",
        )
    return token


def _check_api_url(api_url: str) -> str:
    """Return the API URL if the token may go there: https, or http to this machine (tests)."""
    hint = (
        "set GITHUB_API_URL to https://api.github.com or https://HOST/api/v3; plain http is "
        "allowed only to 127.0.0.1, ::1 or localhost, since the token travels with every request"
    )
    try:
        parts = urlsplit(api_url.strip())
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise UsageError(f"GitHub API URL {_redact_url(api_url)!r} is malformed", hint) from None
    if parts.username is not None or parts.password is not None or parts.query or parts.fragment:
        raise UsageError(
            f"GitHub API URL {_redact_url(api_url)!r} must not carry credentials, a query or a "
            "fragment",
            hint,
        )
    if not host or not (parts.scheme == "https" or (parts.scheme == "http" and host in _LOOPBACK)):
        raise UsageError(f"GitHub API URL {api_url.strip()!r} is not https", hint)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _pulls_path(slug: str) -> str:
    owner, name = slug.split("/")
    return f"/repos/{quote(owner, safe='')}/{quote(name, safe='')}/pulls"


def _already_exists(body: Any) -> bool:
    """Whether a 422 says "A pull request already exists for owner:branch." (in its errors)."""
    if not isinstance(body, dict):
        return False
    texts = [str(body.get("message", "")), *_error_details(body.get("errors"))]
    return any("pull request already exists" in text.lower() for text in texts)


def _error_details(errors: Any) -> list[str]:
    """GitHub's validation errors, each as its message or as "field code" (e.g. "base invalid")."""
    if not isinstance(errors, list):
        return []
    details = []
    for error in errors:
        if isinstance(error, dict):
            text = error.get("message") or " ".join(
                str(error[key]) for key in ("field", "code") if error.get(key)
            )
            details.append(str(text))
        elif isinstance(error, str):
            details.append(error)
    return [detail for detail in details if detail]


def _read_quietly(err: urllib.error.HTTPError) -> bytes:
    try:
        return err.read(_MAX_BODY)
    except (OSError, http.client.HTTPException):
        return b""


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def _unexpected(method: str, path: str, expected: str) -> ForgeError:
    return ForgeError(
        f"GitHub answered {method} {path} with something other than {expected}",
        hint="check GITHUB_API_URL points at GitHub's REST API (https://HOST/api/v3 for GHE)",
    )


def _redact_url(text: str) -> str:
    """Drop the user:password@ part a URL may carry (fleet files can hold them)."""
    return re.sub(r"(://)[^/]*@", r"\1***@", text.strip())
