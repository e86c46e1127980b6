"""The forges of `fleet update`: GitHub pull requests (against a local fake), the local forge."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from generator import __version__
from generator.errors import ForgeError, UsageError
from generator.fleet import _forge
from generator.fleet._forge import Forge, GitHubForge, LocalForge, make_forge, repo_slug
from tests.fleet.fake_github import FakeGitHub

TOKEN = "ghp_S3CRET0123456789"
REPO = "https://github.com/acme/pay.git"
BRANCH = "scaffold/update-1.2.0"
PULLS = "/repos/acme/pay/pulls"
ANY_DOCS = "https://docs.github.com/rest/pulls/pulls"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the fake is local


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def forge(gh: FakeGitHub) -> GitHubForge:
    return GitHubForge(TOKEN, gh.api_url)


def propose(forge: Forge, repo: str = REPO) -> str:
    return forge.propose(
        repo, base="main", branch=BRANCH, title="Update to 1.2.0", body="From scaffold."
    )


def refusal(error: pytest.ExceptionInfo[ForgeError]) -> str:
    """The line the CLI would print, checked to be one line without the token."""
    line = error.value.one_line()
    assert "\n" not in line
    assert TOKEN not in line
    assert error.value.exit_code == 4
    return line


# -- repo_slug ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "repo",
    [
        "https://github.com/acme/pay.git",
        "https://github.com/acme/pay",
        "https://github.com/acme/pay/",
        "git@github.com:acme/pay.git",
        "github.com:acme/pay",
        "ssh://git@ghe.corp/acme/pay",
        "ssh://git@ghe.corp:2222/acme/pay.git",
        "/srv/git/acme/pay.git",
        "file:///srv/git/acme/pay.git",
        "acme/pay",
        "https://x-access-token:abc@github.com/acme/pay.git",
    ],
)
def test_repo_slug_takes_the_last_two_path_components(repo: str) -> None:
    assert repo_slug(repo) == "acme/pay"


def test_repo_slug_keeps_githubs_name_characters() -> None:
    assert repo_slug("git@github.com:my-org/.github.git") == "my-org/.github"
    assert repo_slug("https://ghe.corp/Team_1/svc.v2") == "Team_1/svc.v2"


@pytest.mark.parametrize(
    "repo",
    [
        "",
        "pay",
        "/pay.git",
        "https://github.com/pay.git",
        "git@github.com:pay.git",
        "https://github.com/acme/..",
        "/srv/git/acme/pay?x=1",
        "/srv/git/acme/.git",
    ],
)
def test_repo_slug_refuses_what_has_no_owner_and_name(repo: str) -> None:
    with pytest.raises(UsageError) as error:
        repo_slug(repo)
    assert error.value.exit_code == 2
    assert repr(repo.strip()) in error.value.message
    assert "OWNER/NAME" in error.value.hint


@pytest.mark.parametrize("secret", ["hunter2", "hun@ter2"])
def test_repo_slug_error_does_not_repeat_credentials_of_a_url(secret: str) -> None:
    with pytest.raises(UsageError) as error:
        repo_slug(f"https://bot:{secret}@github.com/pay.git")
    assert "ter2" not in error.value.one_line()
    assert "https://***@github.com/pay.git" in error.value.message


# -- make_forge --------------------------------------------------------------------------------


def test_make_forge_defaults_to_local_for_paths_and_github_for_urls() -> None:
    assert isinstance(make_forge(None, True, {}), LocalForge)
    github = make_forge(None, False, {"GITHUB_TOKEN": TOKEN})
    assert isinstance(github, GitHubForge)
    assert github.name == "github"
    assert github.api_url == "https://api.github.com"


def test_make_forge_honours_an_explicit_name() -> None:
    assert make_forge("local", False, {}).name == "local"
    assert make_forge("github", True, {"GITHUB_TOKEN": TOKEN}).name == "github"


def test_make_forge_uses_github_api_url_for_github_enterprise() -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "https://ghe.corp/api/v3/"}
    forge = make_forge("github", False, env)
    assert isinstance(forge, GitHubForge)
    assert forge.api_url == "https://ghe.corp/api/v3"


@pytest.mark.parametrize("env", [{}, {"GITHUB_TOKEN": ""}, {"GITHUB_TOKEN": "  "}])
@pytest.mark.parametrize("name", [None, "github"])
def test_make_forge_github_without_a_token_is_a_usage_error(
    env: dict[str, str], name: str | None
) -> None:
    with pytest.raises(UsageError) as error:
        make_forge(name, False, env)
    assert error.value.exit_code == 2
    line = error.value.one_line()
    assert "\n" not in line
    assert "GITHUB_TOKEN" in error.value.message
    assert "--forge local" in error.value.hint


def test_make_forge_unknown_name_lists_the_forges() -> None:
    with pytest.raises(UsageError) as error:
        make_forge("gitlab", False, {"GITHUB_TOKEN": TOKEN})
    assert "'gitlab'" in error.value.message
    assert "local, github" in error.value.hint


# -- GitHubForge: what it refuses to send the token to -----------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.github.com",
        "http://10.0.0.7:8080",
        "http://127.0.0.1.nip.io",
        "ftp://api.github.com",
        "api.github.com",
        "https://",
    ],
)
def test_api_url_must_be_https_unless_loopback(url: str) -> None:
    with pytest.raises(UsageError) as error:
        GitHubForge(TOKEN, url)
    assert error.value.exit_code == 2
    assert TOKEN not in error.value.one_line()
    assert "GITHUB_API_URL" in error.value.hint


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:9/api/v3", "https://x.y"]
)
def test_api_url_may_be_plain_http_to_this_machine(url: str) -> None:
    assert GitHubForge(TOKEN, url).api_url == url


def test_api_url_with_credentials_is_refused_without_repeating_them() -> None:
    with pytest.raises(UsageError) as error:
        GitHubForge(TOKEN, "https://bot:hunter2@ghe.corp/api/v3")
    assert "hunter2" not in error.value.one_line()


@pytest.mark.parametrize("token", ["", "ghp_abc\r\nX-Evil: 1", "ghp abc", "ghp_é"])
def test_a_token_that_cannot_go_in_a_header_is_refused_without_echoing_it(token: str) -> None:
    with pytest.raises(UsageError) as error:
        GitHubForge(token, "https://api.github.com")
    if token:
        assert token not in error.value.one_line()
        assert "abc" not in error.value.one_line()


def test_repr_never_shows_the_token() -> None:
    forge = GitHubForge(TOKEN)
    assert TOKEN not in repr(forge)
    assert TOKEN not in str(forge)
    assert repr(forge) == "GitHubForge(api_url='https://api.github.com')"


# -- GitHubForge against the fake --------------------------------------------------------------


def test_propose_then_find_round_trip(gh: FakeGitHub, forge: GitHubForge) -> None:
    assert forge.find(REPO, BRANCH) is None
    url = propose(forge)
    assert url == "https://github.com/acme/pay/pull/1"
    assert forge.find(REPO, BRANCH) == url
    assert forge.find("git@github.com:acme/pay.git", "scaffold/update-9.9.9") is None

    [pull] = gh.pulls("acme/pay")
    assert pull["html_url"] == url
    assert pull["head"]["ref"] == BRANCH
    assert pull["base"]["ref"] == "main"
    assert pull["title"] == "Update to 1.2.0"
    assert pull["body"] == "From scaffold."

    first, post, second, _ = gh.requests
    common = {
        "accept": "application/vnd.github+json",
        "authorization": f"Bearer {TOKEN}",
        "x-github-api-version": "2022-11-28",
        "user-agent": f"scaffold/{__version__}",
    }
    for request in (first, second):
        assert request.method == "GET"
        assert request.path == PULLS
        assert request.query == {"head": f"acme:{BRANCH}", "state": "open"}
        assert request.headers.items() >= common.items()
        assert "content-type" not in request.headers
        assert request.json is None
    assert post.method == "POST"
    assert post.path == PULLS
    assert post.query == {}
    assert post.headers.items() >= {**common, "content-type": "application/json"}.items()
    assert post.json == {
        "title": "Update to 1.2.0",
        "head": BRANCH,
        "base": "main",
        "body": "From scaffold.",
    }


def test_find_query_is_url_encoded(gh: FakeGitHub, forge: GitHubForge) -> None:
    forge.find(REPO, "scaffold/update-1.2.0+build&x=1")
    assert gh.requests[-1].query == {
        "head": "acme:scaffold/update-1.2.0+build&x=1",
        "state": "open",
    }


def test_find_sees_only_open_pulls_from_the_branch(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.add_pull("acme/pay", BRANCH, state="closed")
    gh.add_pull("acme/pay", "feature/other")
    assert forge.find(REPO, BRANCH) is None
    opened = gh.add_pull("acme/pay", BRANCH)
    assert forge.find(REPO, BRANCH) == opened["html_url"]
    assert forge.find("https://github.com/acme/ledger.git", BRANCH) is None


def test_propose_twice_returns_the_existing_pull_without_a_second_one(
    gh: FakeGitHub, forge: GitHubForge
) -> None:
    url = propose(forge)
    assert propose(forge, "git@github.com:acme/pay.git") == url
    assert len(gh.pulls("acme/pay")) == 1
    assert [(r.method, r.path) for r in gh.requests] == [
        ("POST", PULLS),
        ("POST", PULLS),
        ("GET", PULLS),
    ]


def test_already_exists_but_not_listed_is_an_error_not_a_loop(
    gh: FakeGitHub, forge: GitHubForge
) -> None:
    gh.fail_next(422, f"A pull request already exists for acme:{BRANCH}.")
    with pytest.raises(ForgeError) as error:
        propose(forge)
    assert "lists none open" in refusal(error)
    assert [r.method for r in gh.requests] == ["POST", "GET"]


def test_github_enterprise_paths_keep_the_api_prefix() -> None:
    with FakeGitHub(token=TOKEN, prefix="/api/v3", html_url="https://ghe.corp") as gh:
        forge = make_forge("github", False, {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": gh.api_url})
        assert propose(forge, "git@ghe.corp:acme/pay.git") == "https://ghe.corp/acme/pay/pull/1"
        assert {r.path for r in gh.requests} == {"/api/v3" + PULLS}


# -- GitHubForge: failures are one line, without the token -------------------------------------


def test_forbidden_names_method_path_status_and_githubs_message(
    gh: FakeGitHub, forge: GitHubForge
) -> None:
    gh.fail_next(403, "Resource not accessible by integration")
    with pytest.raises(ForgeError) as error:
        propose(forge)
    line = refusal(error)
    assert error.value.message == (
        "GitHub refused POST /repos/acme/pay/pulls: 403 Resource not accessible by integration"
    )
    assert "Pull requests: read and write" in error.value.hint
    assert gh.pulls("acme/pay") == []
    assert "rate limit" not in line


def test_a_wrong_token_is_refused_and_not_repeated(gh: FakeGitHub) -> None:
    forge = GitHubForge("ghp_wrong", gh.api_url)
    with pytest.raises(ForgeError) as error:
        forge.find(REPO, BRANCH)
    assert error.value.message == "GitHub refused GET /repos/acme/pay/pulls: 401 Bad credentials"
    assert "ghp_wrong" not in error.value.one_line()
    assert "GITHUB_TOKEN" in error.value.hint


def test_an_unknown_repository_is_a_404_with_a_hint() -> None:
    with FakeGitHub(token=TOKEN, repos=["acme/ledger"]) as gh, pytest.raises(ForgeError) as error:
        GitHubForge(TOKEN, gh.api_url).find(REPO, BRANCH)
    line = refusal(error)
    assert "404 Not Found" in line
    assert "acme/pay" in error.value.hint


def test_primary_rate_limit_says_when_it_resets(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.fail_next(
        403,
        "API rate limit exceeded for user ID 1.",
        {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000000"},
    )
    with pytest.raises(ForgeError) as error:
        forge.find(REPO, BRANCH)
    line = refusal(error)
    assert error.value.message.startswith("GitHub rate limit hit on GET /repos/acme/pay/pulls: 403")
    assert "22:13:20 UTC" in line
    assert len(gh.requests) == 1  # no retry


def test_secondary_rate_limit_says_how_long_to_wait(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.fail_next(429, "You have exceeded a secondary rate limit.", {"retry-after": "60"})
    with pytest.raises(ForgeError) as error:
        propose(forge)
    line = refusal(error)
    assert "rate limit" in error.value.message
    assert "429" in error.value.message
    assert "wait 60 s" in line
    assert len(gh.requests) == 1


def test_server_error_is_one_line(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.fail_next(500, "Server Error\n  (something\tbroke)")
    with pytest.raises(ForgeError) as error:
        forge.find(REPO, BRANCH)
    refusal(error)
    assert error.value.message == (
        "GitHub failed GET /repos/acme/pay/pulls: 500 Server Error (something broke)"
    )


def test_validation_errors_are_spelled_out(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.fail_next(422, "Validation Failed")
    with pytest.raises(ForgeError) as error:
        propose(forge)
    assert "422 Validation Failed" in refusal(error)
    assert "base branch" in error.value.hint


def test_a_message_that_echoes_the_token_is_blanked(gh: FakeGitHub, forge: GitHubForge) -> None:
    gh.fail_next(400, f"Bad header Bearer {TOKEN}")
    with pytest.raises(ForgeError) as error:
        forge.find(REPO, BRANCH)
    assert "Bearer ***" in refusal(error)


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_is_not_followed_with_the_token(status: int, gh: FakeGitHub) -> None:
    with FakeGitHub(token=TOKEN) as elsewhere:
        gh.redirect_next(elsewhere.api_url + PULLS, status)
        forge = GitHubForge(TOKEN, gh.api_url)
        with pytest.raises(ForgeError) as error:
            propose(forge) if status in {307, 308} else forge.find(REPO, BRANCH)
        assert elsewhere.requests == []
    line = refusal(error)
    assert "redirected" in error.value.message
    assert f"({status})" in error.value.message
    assert "not followed" in line
    assert len(gh.requests) == 1


def test_an_unreachable_api_is_one_line() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        api_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        with pytest.raises(ForgeError) as error:
            GitHubForge(TOKEN, api_url).find(REPO, BRANCH)
    line = refusal(error)
    assert error.value.message.startswith(
        f"could not reach GitHub at {api_url} for GET /repos/acme/pay/pulls: "
    )
    assert "refused" in line.lower()


def test_a_silent_api_times_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_forge, "TIMEOUT", 0.05)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are queued, never answered
        api_url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(ForgeError) as error:
            GitHubForge(TOKEN, api_url).find(REPO, BRANCH)
    assert "timed out after 0.05 s" in refusal(error)


# -- the fake itself: it refuses what GitHub refuses ------------------------------------------


def raw(gh: FakeGitHub, method: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    """Send one request without GitHubForge; return the status and the decoded answer."""
    sent = {
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {TOKEN}",
        "X-GitHub-Api-Version": "2022-11-28",
        **{name.replace("_", "-"): value for name, value in headers.items()},
    }
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(gh.api_url + PULLS, data, sent, method=method)
    try:
        with NO_PROXY.open(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def test_fake_checks_headers(gh: FakeGitHub) -> None:
    assert raw(gh, "GET", Authorization="") == (
        401,
        {"message": "Requires authentication", "documentation_url": ANY_DOCS},
    )
    assert raw(gh, "GET", Authorization="Bearer nope")[1]["message"] == "Bad credentials"
    assert raw(gh, "GET", Authorization=f"token {TOKEN}")[0] == 200
    assert raw(gh, "GET", Accept="application/json")[0] == 415
    assert raw(gh, "GET", X_GitHub_Api_Version="2021-01-01")[0] == 400
    assert len(gh.requests) == 5


def test_fake_validates_pull_requests_as_github_does(gh: FakeGitHub) -> None:
    status, answer = raw(gh, "POST", {"head": BRANCH})
    assert status == 422
    assert answer["message"] == "Validation Failed"
    assert {(e["field"], e["code"]) for e in answer["errors"]} == {
        ("title", "missing_field"),
        ("base", "missing_field"),
    }
    assert raw(gh, "POST", {"title": 1, "head": BRANCH, "base": "main"})[1]["errors"] == [
        {"resource": "PullRequest", "code": "invalid", "field": "title"}
    ]
    pull = {"title": "t", "head": BRANCH, "base": "main"}
    status, created = raw(gh, "POST", pull)
    assert (status, created["number"], created["state"]) == (201, 1, "open")
    status, answer = raw(gh, "POST", pull)
    assert status == 422
    assert answer["errors"][0]["message"] == f"A pull request already exists for acme:{BRANCH}."
    assert raw(gh, "POST", None)[0] == 400
    assert len(gh.pulls("acme/pay")) == 1


# -- LocalForge --------------------------------------------------------------------------------


def test_local_forge_has_nothing_to_find_and_names_the_branch() -> None:
    forge: Forge = LocalForge()
    assert forge.name == "local"
    assert forge.find("/srv/git/acme/pay.git", BRANCH) is None
    assert propose(forge, "/srv/git/acme/pay.git") == f"branch {BRANCH}"
    assert propose(forge, "/srv/git/acme/pay.git") == f"branch {BRANCH}"
