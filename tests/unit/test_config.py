"""Settings: defaults, validation, and errors that name the setting."""

import pytest

from shared.config import SETTING_NAMES, Settings
from shared.errors import ConfigurationError

BASE = {"SPEECHDROP_STORAGE": "UseDevelopmentStorage=true", "SPEECH_ENDPOINT": "http://x:1/"}


def test_defaults_and_trailing_slash():
    settings = Settings.from_env(BASE)
    assert settings.speech_endpoint == "http://x:1"
    assert settings.speech_key is None
    assert settings.input_container == "input"
    assert "devstoreaccount1" in settings.storage.connection_string


def test_identity_based_storage():
    env = {
        "SPEECH_ENDPOINT": "https://s.cognitiveservices.azure.com",
        "SPEECHDROP_STORAGE__blobServiceUri": "https://a.blob.core.windows.net",
        "SPEECHDROP_STORAGE__tableServiceUri": "https://a.table.core.windows.net",
        "SPEECHDROP_STORAGE__clientId": "abc",
    }
    storage = Settings.from_env(env).storage
    assert storage.connection_string is None
    assert storage.blob_service_uri == "https://a.blob.core.windows.net"
    assert storage.client_id == "abc"


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"SPEECH_ENDPOINT": ""}, "SPEECH_ENDPOINT"),
        ({"SPEECHDROP_STORAGE": ""}, "SPEECHDROP_STORAGE"),
        ({"MAX_FILE_BYTES": "lots"}, "MAX_FILE_BYTES"),
        ({"MAX_INPUTS_PER_JOB": "20000"}, "MAX_INPUTS_PER_JOB"),
        ({"SERVICE_TTL_HOURS": "745"}, "SERVICE_TTL_HOURS"),
        ({"INPUT_CONTAINER": "Bad_Name"}, "INPUT_CONTAINER"),
        ({"OUTPUT_CONTAINER": "input"}, "OUTPUT_CONTAINER"),
        ({"JOBS_TABLE": "no-dashes"}, "JOBS_TABLE"),
        ({"JOB_TIMEOUT_MINUTES": "-1"}, "JOB_TIMEOUT_MINUTES"),
    ],
)
def test_invalid_settings_fail_fast_naming_the_setting(override, named):
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env({**BASE, **override})


def test_every_declared_setting_is_read():
    env = dict(BASE)
    env.update({"INPUT_CONTAINER": "in-box", "MAX_INPUT_CHARS": "500", "SPEECH_KEY": "k"})
    settings = Settings.from_env(env)
    assert (settings.input_container, settings.max_input_chars) == ("in-box", 500)
    assert settings.speech_key == "k"
    assert len(set(SETTING_NAMES)) == len(SETTING_NAMES)


def test_tools_may_need_only_one_side():
    speech_only = Settings.from_env({"SPEECH_ENDPOINT": "https://s"}, need_storage=False)
    assert speech_only.storage is None
    storage_only = Settings.from_env({"SPEECHDROP_STORAGE": "x=y"}, need_speech=False)
    assert storage_only.speech_endpoint == ""
    with pytest.raises(ConfigurationError, match="SPEECH_ENDPOINT"):
        Settings.from_env({"SPEECH_ENDPOINT": "ftp://s"}, need_speech=False, need_storage=False)
