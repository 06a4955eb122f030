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

from devtools.localstack import azurite
from tests.emulator.conftest import Client, plain, speak, ssml


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
