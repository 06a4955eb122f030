"""destinationContainerUrl against real Azurite through a container SAS."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from azure.storage.blob import BlobServiceClient, ContainerSasPermissions, generate_container_sas

from devtools.localstack import azurite, emulator
from tests.emulator.conftest import KEY, Client, plain, speak, ssml


@pytest.fixture(scope="module")
def storage() -> Iterator:
    with azurite() as instance:
        yield instance


@pytest.fixture
def container(storage):
    service = BlobServiceClient.from_connection_string(storage.connection_string)
    name = f"out{uuid.uuid4().hex[:10]}"
    client = service.create_container(name)

    def sas_url(permission: str = "racwl") -> str:
        sas = generate_container_sas(
            storage.account_name,
            name,
            account_key=storage.account_key,
            permission=ContainerSasPermissions.from_string(permission),
            expiry=datetime.now(UTC) + timedelta(hours=1),
        )
        return f"{storage.blob_endpoint}/{name}?{sas}"

    yield client, sas_url
    client.close()
    service.close()


def test_decompressed_files(client: Client, container):
    blobs, sas_url = container
    job_id = f"dest-{uuid.uuid4().hex[:8]}"
    body = ssml(
        speak("The rainbow has seven colors."),
        destinationContainerUrl=sas_url(),
        decompressOutputFiles=True,
        wordBoundaryEnabled=True,
    )
    created = client.put(job_id, body)
    assert created.status_code == 201
    job = client.wait(job_id)
    assert job["status"] == "Succeeded", job
    assert job["outputs"] == {"result": job_id, "summary": f"{job_id}/summary.json"}
    names = sorted(b.name for b in blobs.list_blobs())
    assert names == [f"{job_id}/0001.wav", f"{job_id}/0001.word.json", f"{job_id}/summary.json"]
    summary = json.loads(blobs.download_blob(f"{job_id}/summary.json").readall())
    assert summary["status"] == "Succeeded"
    audio = blobs.download_blob(f"{job_id}/0001.wav").readall()
    assert audio[:4] == b"RIFF" and len(audio) == job["properties"]["sizeInBytes"]


def test_zip_under_destination_path(client: Client, container):
    blobs, sas_url = container
    job_id = f"dest-{uuid.uuid4().hex[:8]}"
    body = plain("Zipped.", destinationContainerUrl=sas_url(), destinationPath="runs/a")
    client.put(job_id, body)
    job = client.wait(job_id)
    assert job["outputs"] == {"result": f"runs/a/{job_id}/results.zip"}
    data = blobs.download_blob(f"runs/a/{job_id}/results.zip").readall()
    assert sorted(zipfile.ZipFile(io.BytesIO(data)).namelist()) == ["0001.wav", "summary.json"]


def test_read_only_sas_fails_the_job(client: Client, container):
    _, sas_url = container
    job_id = f"dest-{uuid.uuid4().hex[:8]}"
    client.put(job_id, plain("Denied.", destinationContainerUrl=sas_url("rl")))
    job = client.wait(job_id)
    assert job["status"] == "Failed"
    error = job["properties"]["error"]
    assert error["code"] == "Forbidden" and "403" in error["message"]
    assert "sig=" not in error["message"]


@pytest.fixture(scope="module")
def log_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("emulator-logs")


@pytest.fixture(scope="module")
def emu(log_dir) -> Iterator:
    with emulator(key=KEY, extra_args=("--rate-limit", "0"), log_dir=log_dir) as instance:
        yield instance


def test_no_secrets_in_logs(client: Client, container, log_dir, storage):
    _, sas_url = container
    job_id = f"dest-{uuid.uuid4().hex[:8]}"
    client.put(job_id, plain("Secret free.", destinationContainerUrl=sas_url("rl")))
    client.wait(job_id)
    client.put(f"{job_id}-ok", plain("Fine.", destinationContainerUrl=sas_url()))
    client.wait(f"{job_id}-ok")
    intruder = Client(client.endpoint, key="wrong-key")
    assert intruder.get(job_id).status_code == 401
    intruder.http.close()
    log = (log_dir / "emulator.log").read_text()
    assert "job " in log  # the log is written at all
    for secret in (KEY, "wrong-key", "sig=", storage.account_key):
        assert secret not in log
