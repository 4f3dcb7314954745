"""A local stand-in for the slice of Kaggle's API that ``kaggle datasets create/version`` uses.

kagglesdk posts JSON to ``{endpoint}/api/v1/{Service}/{Method}`` (on non-prod environments) and
uploads blobs with a plain ``PUT`` to the URL ``StartBlobUpload`` returns; ``DownloadDataset``
answers with the latest version's files in one zip (what ``kaggle datasets download`` unzips).
The stand-in speaks exactly that flow, checks HTTP basic auth, keeps datasets and versions in memory and records
every call, so tests can assert what was uploaded. The fixture points kaggle at it by setting
``KAGGLE_API_ENVIRONMENT=LOCALHOST`` and rewriting ``kagglesdk.kaggle_env``'s endpoint table;
the production entry is rewritten too, so a test can never reach kaggle.com.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

API_PREFIX = "/api/v1/"


@dataclass
class Call:
    method: str
    path: str
    user: str | None
    body: dict[str, Any] | None = None
    upload: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """``StartBlobUpload``, ``CreateDataset``, ... or ``PUT`` for a blob upload."""
        return self.path.rsplit("/", 1)[-1] if self.method == "POST" else self.method


@dataclass
class Dataset:
    owner: str
    slug: str
    title: str
    versions: list[dict[str, Any]] = field(default_factory=list)


class KaggleStandin:
    """In-process HTTP server; ``start()``/``stop()`` or use as a context manager."""

    def __init__(self, username: str = "tester", key: str = "k" * 32) -> None:
        self.username, self.key = username, key
        self.calls: list[Call] = []
        self.blobs: dict[str, dict[str, Any]] = {}
        self.datasets: dict[str, Dataset] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> KaggleStandin:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> KaggleStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def names(self) -> list[str]:
        return [c.name for c in self.calls]

    # ------------------------------------------------------------------ API methods
    def _start_blob_upload(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        token = f"blob-{len(self.blobs) + 1}"
        self.blobs[token] = {"name": body.get("name"), "declared_length": body.get("contentLength")}
        return 200, {"token": token, "createUrl": f"{self.url}/upload/{token}"}

    def _status(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ref = f"{body.get('ownerSlug')}/{body.get('datasetSlug')}"
        if ref not in self.datasets:
            return 404, {"code": 404, "message": f"dataset {ref} not found"}
        return 200, {"status": "READY"}

    def _files(self, files: list[dict[str, Any]]) -> tuple[str | None, list[dict[str, Any]]]:
        out = []
        for item in files:
            blob = self.blobs.get(item.get("token", ""))
            if blob is None or "sha256" not in blob:
                return f"unknown or unfinished blob {item.get('token')}", []
            out.append({**blob, "columns": item.get("columns", []), "description": item.get("description")})
        return None, out

    def _create(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ref = f"{body.get('ownerSlug')}/{body.get('slug')}"
        if ref in self.datasets:
            return 200, {"error": f"The requested slug is already in use: {ref}"}
        error, files = self._files(body.get("files") or [])
        if error:
            return 200, {"error": error}
        dataset = Dataset(str(body.get("ownerSlug")), str(body.get("slug")), str(body.get("title")))
        dataset.versions.append({"notes": None, "files": files, "license": body.get("licenseName")})
        self.datasets[ref] = dataset
        return 200, {"ref": ref, "url": f"{self.url}/{ref}", "status": "ok"}

    def _create_version(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        ref = f"{body.get('ownerSlug')}/{body.get('datasetSlug')}"
        if ref not in self.datasets:
            return 404, {"code": 404, "message": f"dataset {ref} not found"}
        payload = body.get("body") or {}
        error, files = self._files(payload.get("files") or [])
        if error:
            return 200, {"error": error}
        self.datasets[ref].versions.append({"notes": payload.get("versionNotes"), "files": files})
        return 200, {"ref": ref, "url": f"{self.url}/{ref}", "status": "ok"}

    def _download(self, body: dict[str, Any]) -> tuple[int, dict[str, Any] | bytes]:
        ref = f"{body.get('ownerSlug')}/{body.get('datasetSlug')}"
        if ref not in self.datasets:
            return 404, {"code": 404, "message": f"dataset {ref} not found"}
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w") as zipped:
            for item in self.datasets[ref].versions[-1]["files"]:
                zipped.writestr(str(item["name"]), item["data"])
        return 200, archive.getvalue()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self
        routes = {
            "blobs.BlobApiService/StartBlobUpload": standin._start_blob_upload,
            "datasets.DatasetApiService/GetDatasetStatus": standin._status,
            "datasets.DatasetApiService/CreateDataset": standin._create,
            "datasets.DatasetApiService/CreateDatasetVersion": standin._create_version,
            "datasets.DatasetApiService/DownloadDataset": standin._download,
        }

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def _user(self) -> str | None:
                header = self.headers.get("Authorization", "")
                if not header.startswith("Basic "):
                    return None
                user, _, key = base64.b64decode(header[6:]).decode().partition(":")
                return user if (user, key) == (standin.username, standin.key) else None

            def _reply(self, status: int, payload: dict[str, Any] | bytes) -> None:
                binary = isinstance(payload, bytes)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/zip" if binary else "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_POST(self) -> None:
                raw = self._body()
                user = self._user()
                body = json.loads(raw or b"{}")
                with standin._lock:
                    standin.calls.append(Call("POST", self.path, user, body=body))
                    route = routes.get(self.path.removeprefix(API_PREFIX))
                    if user is None:
                        return self._reply(401, {"code": 401, "message": "Unauthenticated"})
                    if route is None:
                        return self._reply(404, {"code": 404, "message": f"no route {self.path}"})
                    status, payload = route(body)
                self._reply(status, payload)

            def do_PUT(self) -> None:
                data = self._body()
                token = self.path.rsplit("/", 1)[-1]
                with standin._lock:
                    upload = {"token": token, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                    standin.calls.append(Call("PUT", self.path, None, upload=upload))
                    blob = standin.blobs.get(token)
                    if blob is None or not self.path.startswith("/upload/"):
                        return self._reply(404, {"code": 404, "message": "no such upload"})
                    blob.update(bytes=len(data), sha256=upload["sha256"], data=data)
                self._reply(200, {})

        return Handler


@pytest.fixture
def kaggle_standin(monkeypatch: pytest.MonkeyPatch) -> Iterator[KaggleStandin]:
    """A running stand-in with kaggle/kagglesdk pointed at it (credentials ``tester`` / ``k``*32)."""
    from kagglesdk import kaggle_env

    with KaggleStandin() as standin:
        monkeypatch.setenv("KAGGLE_API_ENVIRONMENT", "LOCALHOST")
        for env in (kaggle_env.KaggleEnv.LOCAL, kaggle_env.KaggleEnv.PROD):
            monkeypatch.setitem(kaggle_env._env_to_endpoint, env, standin.url)
        # KaggleApi decides local vs prod from the environment once, when it is imported (and
        # kaggle/__init__ tries to authenticate then, printing help when it cannot).
        with contextlib.redirect_stdout(io.StringIO()):
            from kaggle.api.kaggle_api_extended import KaggleApi

        monkeypatch.setattr(KaggleApi, "args", ["--local"])
        for name in ("KAGGLE_API_TOKEN", "KAGGLE_USERNAME", "KAGGLE_KEY"):
            monkeypatch.delenv(name, raising=False)
        yield standin
