"""deploy/ is checked, not decorative.

The compose file is validated against the Compose specification's JSON schema (the copy that
the pinned ``check-jsonschema`` ships, so nothing is fetched) and, where the compose plugin
exists, by ``docker compose config``. Then what no schema knows: every ``${VAR}`` is defined
in deploy/.env.example, every setting given to the bot exists in ``bot.config.Settings`` and
the resulting configuration passes its validation, Caddy forwards to the port the bot listens
on and to every path the bot serves, the replicas wait for one migration, and the image's
command is a real CLI verb. An unedited deploy/.env.example must be refused, naming what is
missing, rather than start a bot with a guessable webhook secret.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from sqlalchemy.engine import make_url

from bot.app import App
from bot.channels.web import WebServer
from bot.cli import VERBS, build_parser
from bot.config import Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
ENV_EXAMPLE = DEPLOY / ".env.example"
CADDYFILE = DEPLOY / "Caddyfile"
DOCKERFILE = DEPLOY / "Dockerfile"

# What an operator types into the lines deploy/.env.example leaves empty on purpose.
OPERATOR_FILLS = {
    "DOMAIN": "tdkt.noivu.example.gov.vn",
    "ACME_EMAIL": "cntt@noivu.example.gov.vn",
    "POSTGRES_PASSWORD": "9f2c4e7a1b3d5f60a8c2e4b6",
    "WEBHOOK_SECRET": "b7e1c9d3f5a2-telegram_secret",
    "ZALO_WEBHOOK_SECRET": "c4a8e2f6b0d1-zalo-secret",
}

OA_FILLS = {"zalo_oa_app_id": "2718281828", "zalo_oa_app_secret": "oa-app-secret", "zalo_oa_secret_key": "oa-key",
            "zalo_oa_refresh_token": "first-refresh-token"}


# ---- reading the files ---------------------------------------------------------------------
def read_env_file(path: Path) -> dict[str, str]:
    """NAME=value lines as compose reads them (comments and blank lines skipped)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=(.*)", stripped)
        assert m, f"{path.name}:{number}: not NAME=value: {line!r}"
        assert m[1] not in values, f"{path.name}:{number}: {m[1]} given twice"
        values[m[1]] = m[2].strip()
    return values


def example_env() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


def filled_env() -> dict[str, str]:
    env = example_env()
    for name, value in OPERATOR_FILLS.items():
        assert name in env, f"deploy/.env.example has no line for {name}"
        assert env[name] == "", f"deploy/.env.example ships a value for the secret/site-specific {name}"
        env[name] = value
    return env


def filled_env_text() -> str:
    """deploy/.env.example with the operator's values written into its empty lines."""
    lines = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        name = line.split("=", 1)[0]
        lines.append(f"{name}={OPERATOR_FILLS[name]}" if name in OPERATOR_FILLS and line == f"{name}=" else line)
    return "\n".join(lines) + "\n"


def compose_raw() -> dict[str, Any]:
    doc = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


class MissingVariable(Exception):
    pass


# Compose's interpolation: $$ escapes, ${NAME}, ${NAME:-default}, ${NAME-default},
# ${NAME:?error}, ${NAME?error}, ${NAME:+alt}, ${NAME+alt} and $NAME.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m["escaped"]:
            return "$"
        name = m["braced"] or m["bare"]
        op, arg = m["op"], m["arg"] or ""
        value = env.get(name)
        if op in (":?", "?") and (value is None or (op == ":?" and value == "")):
            raise MissingVariable(f"{name}: {arg}")
        if op in (":-", "-") and (value is None or (op == ":-" and value == "")):
            return arg
        if op in (":+", "+"):
            return arg if value is not None and (op == "+" or value != "") else ""
        return value or ""

    leftover = _INTERPOLATION.sub("", text)
    assert "$" not in leftover, f"compose.yaml: a '$' compose cannot read in {text!r} (write $$ for a literal one)"
    return _INTERPOLATION.sub(one, text)


def interpolated(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def variables_used(node: Any) -> set[str]:
    if isinstance(node, str):
        return {m["braced"] or m["bare"] for m in _INTERPOLATION.finditer(node) if not m["escaped"]}
    if isinstance(node, list):
        return set().union(*(variables_used(item) for item in node)) if node else set()
    if isinstance(node, dict):
        return set().union(*(variables_used(value) for value in node.values())) if node else set()
    return set()


def compose() -> dict[str, Any]:
    return interpolated(compose_raw(), filled_env())


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def settings_fields() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def bot_settings() -> Settings:
    """The settings a replica starts with: the env file, overridden by compose's environment."""
    env = filled_env() | environment_of(compose()["services"]["bot"])
    fields = settings_fields()
    return load_settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k in fields})


def caddy_placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{\$([A-Za-z_][A-Za-z0-9_]*)(?::[^}]*)?\}", text))


def caddy_path_patterns() -> list[str]:
    text = CADDYFILE.read_text(encoding="utf-8")
    m = re.search(r"^\s*@bot\s+path\s+(.+)$", text, re.MULTILINE)
    assert m, "Caddyfile: no '@bot path …' matcher"
    return m[1].split()


def caddy_upstream() -> tuple[str, int]:
    text = CADDYFILE.read_text(encoding="utf-8")
    block = re.search(r"dynamic\s+a\s*\{([^}]*)\}", text)
    assert block, "Caddyfile: no 'dynamic a { name … port … }' upstream"
    name = re.search(r"^\s*name\s+(\S+)\s*$", block[1], re.MULTILINE)
    port = re.search(r"^\s*port\s+(\d+)\s*$", block[1], re.MULTILINE)
    assert name and port, "Caddyfile: the dynamic upstream needs a name and a port"
    return name[1], int(port[1])


def caddy_matches(pattern: str, path: str) -> bool:
    """Caddy's path matcher: exact, with '*' standing for any characters (slashes too)."""
    return re.fullmatch(".*".join(re.escape(part) for part in pattern.split("*")), path, re.IGNORECASE) is not None


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            keyword, _, rest = stripped.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def dockerfile(keyword: str) -> list[str]:
    return [rest for kw, rest in dockerfile_instructions() if kw == keyword]


def parse_cli(argv: list[str]) -> Any:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert argv[0] in pyproject["project"]["scripts"], f"{argv[0]!r} is not a console script of the project"
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{' '.join(argv)!r} is not a command tdkt-bot understands")
    assert args.verb in VERBS
    return args


def compose_schema() -> dict[str, Any]:
    schema_file = files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(schema_file.read_text(encoding="utf-8"))


def schema_errors(doc: dict[str, Any]) -> list[str]:
    schema = compose_schema()
    validator_cls = jsonschema.validators.validator_for(schema)
    validator_cls.check_schema(schema)
    errors = validator_cls(schema).iter_errors(doc)
    return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors)


# ---- the Compose specification ------------------------------------------------------------
def test_compose_file_follows_the_compose_specification() -> None:
    assert schema_errors(compose()) == []
    # The schema is strict where it matters: a misspelt service key is caught.
    broken = compose()
    broken["services"]["bot"]["replica"] = 2
    assert any("replica" in e for e in schema_errors(broken))


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.mark.skipif(not _docker_compose_available(), reason="no `docker compose` here; the schema test covers it")
def test_docker_compose_accepts_the_deployment(tmp_path: Path) -> None:
    """What an operator does: copy the example to deploy/.env, fill it in, let compose read it all."""
    root = tmp_path / "repo"
    shutil.copytree(DEPLOY, root / "deploy", ignore=shutil.ignore_patterns(".env"))  # never an operator's secrets
    for name in ("pyproject.toml", "README.md", "bot", "handlers", "storage"):
        (root / name).symlink_to(REPO / name)
    (root / "deploy" / ".env").write_text(filled_env_text(), encoding="utf-8")
    done = subprocess.run(["docker", "compose", "-f", str(root / "deploy" / "compose.yaml"), "config", "-q"],
                          capture_output=True, text=True, timeout=120, cwd=root)
    assert done.returncode == 0, done.stderr


# ---- variables and settings ------------------------------------------------------------------
def test_every_compose_variable_is_in_the_env_example() -> None:
    used = variables_used(compose_raw())
    assert used, "compose.yaml uses no ${…} at all?"
    assert used <= set(example_env()), f"not in deploy/.env.example: {sorted(used - set(example_env()))}"
    # Caddy's {$VAR} placeholders come from the proxy service's environment.
    proxy_env = environment_of(compose()["services"]["proxy"])
    missing = caddy_placeholders(CADDYFILE.read_text(encoding="utf-8")) - set(proxy_env)
    assert not missing, f"Caddyfile placeholders the proxy service does not set: {sorted(missing)}"
    assert all(proxy_env.values()), proxy_env


def test_every_name_the_bot_is_given_is_a_setting() -> None:
    fields = settings_fields()
    deployment_only = variables_used(compose_raw())  # read by compose itself, not by the bot
    unknown = set(example_env()) - fields - deployment_only
    assert not unknown, f"deploy/.env.example names no setting of bot/config.py: {sorted(unknown)}"
    for service in ("migrate", "bot"):
        given = set(environment_of(compose()["services"][service]))
        assert given <= fields, f"{service}: not settings of bot/config.py: {sorted(given - fields)}"
    # compose's environment wins over the env file: a line for the same name there would be ignored.
    overlap = set(example_env()) & set(environment_of(compose()["services"]["bot"]))
    assert not overlap, f"deploy/.env.example sets what compose.yaml overrides: {sorted(overlap)}"


def test_the_deployment_gives_the_bot_a_valid_configuration() -> None:
    settings = bot_settings()
    assert settings.telegram_bot_token and settings.telegram_mode == "webhook"
    assert settings.zalo_bot_token and settings.zalo_mode == "webhook"
    domain = OPERATOR_FILLS["DOMAIN"]
    for url in (settings.webhook_url, settings.zalo_webhook_url, settings.public_base_url):
        assert url.startswith(f"https://{domain}"), url
    services = compose()["services"]
    db = make_url(settings.database_url)
    postgres_env = environment_of(services[db.host])
    assert db.drivername == "postgresql+asyncpg" and db.port == 5432
    assert (db.username, db.password, db.database) == (
        postgres_env["POSTGRES_USER"], postgres_env["POSTGRES_PASSWORD"], postgres_env["POSTGRES_DB"])
    assert "pg_isready" in " ".join(services[db.host]["healthcheck"]["test"])


def test_an_unedited_env_example_is_refused_naming_what_is_missing() -> None:
    for name in ("DOMAIN", "ACME_EMAIL", "POSTGRES_PASSWORD"):
        env = filled_env()
        env[name] = ""
        with pytest.raises(MissingVariable, match=rf"^{name}: .*deploy/\.env"):
            interpolated(compose_raw(), env)
    # With the site filled in but not the secrets, the bot stops at its settings: a webhook
    # with a secret copied from a public example would accept forged updates.
    env = filled_env() | {"WEBHOOK_SECRET": ""}
    env |= environment_of(compose()["services"]["bot"])
    fields = settings_fields()
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET"):
        load_settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k in fields})


# ---- the proxy ------------------------------------------------------------------------------
async def test_the_proxy_forwards_every_path_the_bot_serves_to_its_port() -> None:
    settings = bot_settings().model_copy(update=OA_FILLS)  # an office with an Official Account too
    name, port = caddy_upstream()
    assert port == settings.listen_port, f"Caddy forwards to {port}, the bot listens on {settings.webhook_listen}"
    services = compose()["services"]
    assert name in services and services[name]["deploy"]["replicas"] >= 2

    # The routes exactly as the composition root registers them for this configuration.
    app = App(settings)
    try:
        web = WebServer(settings.listen_host, settings.listen_port)
        assert app.file_links is not None, "PUBLIC_BASE_URL is set: signed file links are served"
        app.file_links.register_routes(web.app)
        app.dashboard().register_routes(web.app)
        channels = app.configured_channels()
        assert {ch.name for ch in channels} == {"telegram", "zalo", "zalo_oa"}
        for ch in channels:
            ch.register_routes(web.app)  # type: ignore[attr-defined]
        paths = {re.sub(r"\{[^}]*\}", "x", resource.canonical) for resource in web.app.router.resources()}
    finally:
        await app.engine.dispose()
    patterns = caddy_path_patterns()
    assert {"/healthz", "/telegram", "/zalo/webhook", "/zalo-oa/webhook", "/files/x/x", "/web", "/web/ky/x"} <= paths, paths
    unrouted = {p for p in paths if not any(caddy_matches(pat, p) for pat in patterns)}
    assert not unrouted, f"the bot serves these but Caddy answers 404: {sorted(unrouted)}"
    dead = [pat for pat in patterns if not any(caddy_matches(pat, p) for p in paths)]
    assert not dead, f"Caddy forwards paths the bot does not serve: {dead}"


def test_the_proxy_terminates_tls_for_the_domain() -> None:
    proxy = compose()["services"]["proxy"]
    published = {str(p).split(":")[-1] for p in proxy["ports"]}
    assert {"80", "443"} <= published, "Let's Encrypt needs 80 (or 443), Telegram and Zalo post to 443"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in proxy["volumes"]}
    assert (DEPLOY / mounts["/etc/caddy/Caddyfile"]).resolve() == CADDYFILE
    assert "/data" in mounts, "Caddy's certificates must outlive the container"
    text = CADDYFILE.read_text(encoding="utf-8")
    assert re.search(r"^\{\$DOMAIN\}\s*\{", text, re.MULTILINE), "the site address is the domain (automatic HTTPS)"


# ---- replicas, migrations, the image -------------------------------------------------------------
def test_replicas_start_after_one_migration_and_share_their_files() -> None:
    doc = compose()
    services = doc["services"]
    bot, migrate = services["bot"], services["migrate"]
    assert bot["deploy"]["replicas"] >= 2
    assert "container_name" not in bot and "ports" not in bot, "either would stop a second replica"
    assert bot["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart") == "no"
    migrate_args = parse_cli(migrate["command"])
    assert (migrate_args.verb, migrate_args.db_verb) == ("db", "upgrade")
    assert parse_cli(bot["command"]).verb == "run"
    assert migrate["image"] == bot["image"]

    source, target = bot["volumes"][0].split(":")[:2]
    assert source in doc["volumes"], "a named volume, the same for every replica"
    settings = bot_settings()
    assert Path(settings.files_dir).is_relative_to(target), (settings.files_dir, target)
    assert target in json.loads(dockerfile("VOLUME")[0])


def test_the_image_runs_a_real_cli_verb_as_a_non_root_user() -> None:
    cmd = json.loads(dockerfile("CMD")[-1])
    assert parse_cli(cmd).verb == "run"
    user = dockerfile("USER")[-1]
    assert user not in ("root", "0") and not user.startswith("0:")
    assert dockerfile("STOPSIGNAL") == ["SIGINT"], "asyncio.run shuts down cleanly on SIGINT"
    assert dockerfile("FROM")[0].startswith("python:3.12")

    # It is built from the repository root and copies every package of the distribution.
    build = compose()["services"]["bot"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert context == REPO and (context / build["dockerfile"]).resolve() == DOCKERFILE
    copied = {Path(part).name for rest in dockerfile("COPY") for part in rest.split()[:-1]}
    assert all((REPO / name).exists() for name in copied), copied
    include = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()
                and any(re.fullmatch(pat.replace("*", ".*"), p.name) for pat in include)}
    assert packages and packages <= copied, f"packages the image would miss: {sorted(packages - copied)}"
    assert {"pyproject.toml", "README.md"} <= copied
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").split()
    assert "**/.env" in ignore, "deploy/.env holds secrets: never send it to the builder"

    # The health check asks the route the web server serves.
    health = dockerfile("HEALTHCHECK")[-1]
    paths = {r.canonical for r in WebServer("127.0.0.1", 0).app.router.resources()}
    asked = re.findall(r"http://127\.0\.0\.1:\{port\}(/\w+)", health)
    assert asked and set(asked) <= paths, (asked, paths)
