"""A fake GitHub REST API on 127.0.0.1: the two pull-request endpoints `fleet update` uses.

    with FakeGitHub(token="t") as gh:
        forge = GitHubForge("t", gh.api_url)
        url = forge.propose("https://github.com/acme/pay.git", base="main", branch="b", ...)
        assert gh.pulls("acme/pay")[0]["html_url"] == url
        assert gh.requests[-1].method == "POST"
        gh.fail_next(403, "Resource not accessible by integration")  # the next request fails

Endpoints, with the shapes GitHub documents (https://docs.github.com/rest/pulls/pulls):

- GET  /repos/{owner}/{repo}/pulls?head=owner:branch&state=open|closed|all  -> 200 [pull, ...]
  newest first. Like GitHub, a head without "owner:" filters nothing.
- POST /repos/{owner}/{repo}/pulls {"title", "head", "base", "body"?}  -> 201 pull
  422 "Validation Failed" with errors when head/base/title is missing or not a string, or
  "A pull request already exists for owner:branch." when an open pull has that head.

Every request must carry `Authorization: Bearer <token>` (or `token <token>`), `Accept:
application/vnd.github+json` and `X-GitHub-Api-Version: 2022-11-28`, else 401 / 415 / 400 with a
GitHub-like {"message": ...} body. (Stricter than GitHub, which defaults a missing version
header: the fake wants to see the client pin it.) Any other route answers 404 "Not Found".
Every request is recorded, failing ones included, in `requests`.
Repositories spring into being on first use unless `repos=` lists the only ones that exist.
"""

from __future__ import annotations

import copy
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

API_VERSION = "2022-11-28"
ACCEPT = "application/vnd.github+json"
DOCS = "https://docs.github.com/rest/pulls/pulls"


@dataclass(frozen=True)
class Recorded:
    """One request as the fake received it. Header names are lower-cased (HTTP ignores case)."""

    method: str
    path: str  # without the query, e.g. "/repos/acme/pay/pulls" (prefix included)
    query: dict[str, str]  # the last value of each parameter, decoded
    headers: dict[str, str]
    json: Any  # the decoded body, or None when there was none (or it was not JSON)
    body: bytes = b""


@dataclass
class _Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeGitHub:
    """The fake server; use it as a context manager. Thread-safe; no sleeps, no network."""

    def __init__(
        self,
        token: str = "t",
        *,
        prefix: str = "",
        repos: Iterable[str] | None = None,
        html_url: str = "https://github.com",
    ) -> None:
        """token is the one accepted; prefix mimics GitHub Enterprise (e.g. "/api/v3")."""
        self.token = token
        self.prefix = prefix.rstrip("/")
        self.html_url = html_url.rstrip("/")
        self.requests: list[Recorded] = []
        self._known = None if repos is None else set(repos)
        self._pulls: dict[str, list[dict[str, Any]]] = {}
        self._failures: deque[_Reply] = deque()
        self._lock = threading.Lock()
        self._next_number = 1
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        fake = self

        class Handler(_Handler):
            github = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        assert self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def api_url(self) -> str:
        """The base URL to give GitHubForge (or GITHUB_API_URL): http://127.0.0.1:PORT[prefix]."""
        assert self._server is not None, "use FakeGitHub as a context manager"
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    # -- what tests set up and inspect -----------------------------------------------------

    def pulls(self, repo: str) -> list[dict[str, Any]]:
        """Every pull request of "owner/name" (open and closed), oldest first, as copies."""
        with self._lock:
            return copy.deepcopy(self._pulls.get(repo, []))

    def add_pull(
        self, repo: str, head: str, *, base: str = "main", title: str = "", state: str = "open"
    ) -> dict[str, Any]:
        """Seed a pull request (one an earlier run opened, or a closed one); inside `with` only.

        head is a branch of repo's owner, or "fork-owner:branch".
        """
        with self._lock:
            return self._create(repo, head, base, title or head, "", state)

    def fail_next(
        self, status: int, message: str = "", headers: Mapping[str, str] | None = None
    ) -> None:
        """Answer the next request (whatever it is) with status and {"message": message}.

        Queue several to fail several requests. headers go on the answer, e.g.
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"} or {"retry-after": "60"}.
        """
        body = {"message": message, "documentation_url": DOCS}
        with self._lock:
            self._failures.append(_Reply(status, body, dict(headers or {})))

    def redirect_next(self, location: str, status: int = 301) -> None:
        """Answer the next request with a redirect to location (a client must not follow it)."""
        self.fail_next(status, "Moved Permanently", {"Location": location})

    # -- the API ---------------------------------------------------------------------------

    def _answer(self, recorded: Recorded) -> _Reply:
        with self._lock:
            self.requests.append(recorded)
            if self._failures:
                return self._failures.popleft()
            refusal = self._check_headers(recorded.headers)
            if refusal is not None:
                return refusal
            repo = self._route(recorded.path)
            if repo is None or (self._known is not None and repo not in self._known):
                return _error(404, "Not Found")
            if recorded.method == "GET":
                return self._list(repo, recorded.query)
            if recorded.method == "POST":
                return self._open(repo, recorded)
            return _error(404, "Not Found")

    def _check_headers(self, headers: Mapping[str, str]) -> _Reply | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if not token:
            return _error(401, "Requires authentication")
        if scheme.lower() not in {"bearer", "token"} or token != self.token:
            return _error(401, "Bad credentials")
        if headers.get("accept") != ACCEPT:
            return _error(415, f"Unsupported 'Accept' header: {headers.get('accept')!r}")
        if headers.get("x-github-api-version") != API_VERSION:
            version = headers.get("x-github-api-version")
            return _error(400, f"Unsupported API version {version!r} (expected {API_VERSION})")
        return None

    def _route(self, path: str) -> str | None:
        """The "owner/name" of {prefix}/repos/{owner}/{name}/pulls, else None."""
        if not path.startswith(self.prefix + "/"):
            return None
        parts = path[len(self.prefix) :].split("/")
        if len(parts) == 5 and parts[0] == "" and parts[1] == "repos" and parts[4] == "pulls":
            return f"{unquote(parts[2])}/{unquote(parts[3])}"
        return None

    def _list(self, repo: str, query: Mapping[str, str]) -> _Reply:
        state = query.get("state", "open")
        if state not in {"open", "closed", "all"}:
            return _error(422, "Validation Failed", [_invalid("state")])
        head = query.get("head", "")
        pulls = [
            pull
            for pull in self._pulls.get(repo, [])
            if state in {"all", pull["state"]} and (":" not in head or _label(pull) == head)
        ]
        return _Reply(200, list(reversed(pulls)))

    def _open(self, repo: str, recorded: Recorded) -> _Reply:
        body = recorded.json
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        errors = [
            {"resource": "PullRequest", "code": "missing_field", "field": name}
            for name in ("title", "head", "base")
            if name not in body
        ]
        errors += [
            _invalid(name)
            for name in ("title", "head", "base", "body")
            if name in body and not isinstance(body[name], str)
        ]
        if errors:
            return _error(422, "Validation Failed", errors)
        owner = repo.split("/", maxsplit=1)[0]
        label = body["head"] if ":" in body["head"] else f"{owner}:{body['head']}"
        if any(_label(p) == label and p["state"] == "open" for p in self._pulls.get(repo, [])):
            exists = {"resource": "PullRequest", "code": "custom"}
            exists["message"] = f"A pull request already exists for {label}."
            return _error(422, "Validation Failed", [exists])
        pull = self._create(repo, body["head"], body["base"], body["title"], body.get("body"))
        return _Reply(201, pull, {"Location": pull["url"]})

    def _create(
        self, repo: str, head: str, base: str, title: str, body: str | None, state: str = "open"
    ) -> dict[str, Any]:
        owner = repo.split("/", maxsplit=1)[0]
        head_owner, _, ref = head.rpartition(":")
        number = self._next_number
        self._next_number += 1
        pull = {
            "url": f"{self.api_url}/repos/{repo}/pulls/{number}",
            "id": 1000 + number,
            "number": number,
            "html_url": f"{self.html_url}/{repo}/pull/{number}",
            "state": state,
            "title": title,
            "body": body,
            "draft": False,
            "head": {"label": f"{head_owner or owner}:{ref}", "ref": ref, "sha": "0" * 40},
            "base": {"label": f"{owner}:{base}", "ref": base, "sha": "0" * 40},
            "user": {"login": "scaffold-bot"},
        }
        self._pulls.setdefault(repo, []).append(pull)
        return pull


class _Handler(BaseHTTPRequestHandler):
    github: FakeGitHub

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = None
        recorded = Recorded(
            method=self.command,
            path=url.path,
            query={key: values[-1] for key, values in parse_qs(url.query).items()},
            headers={key.lower(): value for key, value in self.headers.items()},
            json=decoded,
            body=raw,
        )
        reply = self.github._answer(recorded)
        payload = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-GitHub-Media-Type", "github.v3; format=json")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: pytest shows the server's stderr on failures, and it is noise there."""


def _error(status: int, message: str, errors: list[dict[str, str]] | None = None) -> _Reply:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if errors is not None:
        body["errors"] = errors
    return _Reply(status, body)


def _invalid(name: str) -> dict[str, str]:
    return {"resource": "PullRequest", "code": "invalid", "field": name}


def _label(pull: Mapping[str, Any]) -> str:
    """A pull's head as "owner:branch", what `head=` filters on and duplicates are told by."""
    return str(pull["head"]["label"])
