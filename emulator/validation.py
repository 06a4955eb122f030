"""Request checks for `PUT /batchsyntheses/{id}`, as the service does them (status 400).

Returns a normalised job definition (defaults filled in as the service echoes them:
timeToLiveInHours 744, outputFormat riff-24khz-16bit-mono-pcm, booleans false).
Problems raise `ApiError` (400 BadRequest / BadArgument, 413 for the payload limit, 415
for a non-JSON body) with a stable `innererror.code` where clients may need one.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from emulator.audio import DEFAULT_FORMAT, UNSUPPORTED, lookup
from emulator.errors import ApiError, ErrorCode
from emulator.ssml import check_ssml

__all__ = ["ID_PATTERN", "MAX_INPUTS", "MAX_TTL_HOURS", "valid_id", "validate_create"]

ID_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,62}[a-zA-Z0-9]$")
MAX_INPUTS = 10_000
MAX_TTL_HOURS = 744
_BOOLS = ("concatenateResult", "decompressOutputFiles", "wordBoundaryEnabled")
_BOOLS += ("sentenceBoundaryEnabled",)


def valid_id(value: str) -> bool:
    return bool(ID_PATTERN.fullmatch(value))


def _bad(message: str, inner: str = "InvalidRequest", code: str = ErrorCode.BAD_ARGUMENT):
    return ApiError(400, code, message, inner)


def _string(container: dict, key: str, where: str, required: bool = False) -> str | None:
    value = container.get(key)
    if value is None:
        if required:
            raise _bad(f"'{where}{key}' is required.", "MissingProperty", ErrorCode.BAD_REQUEST)
        return None
    if not isinstance(value, str):
        raise _bad(f"'{where}{key}' must be a string.", "InvalidPropertyType")
    return value


def check_destination(url: str) -> None:
    """A container SAS URL: https (or http to a loopback host, for Azurite) with `sig=`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("https", "http") or (parts.scheme == "http" and not loopback):
        raise _bad(
            "'properties.destinationContainerUrl' must be an https URL "
            "(http only to a local storage emulator).",
            "InvalidDestinationContainerUrl",
        )
    path = parts.path.strip("/")
    if not host or not path:
        raise _bad(
            "'properties.destinationContainerUrl' must name a container.",
            "InvalidDestinationContainerUrl",
        )
    if "sig" not in parse_qs(parts.query):
        raise _bad(
            "'properties.destinationContainerUrl' must carry a SAS token (sig=...).",
            "InvalidDestinationContainerUrl",
        )


def validate_create(raw: bytes, content_type: str | None, max_payload_bytes: int) -> dict:
    """Body bytes → normalised definition, or ApiError."""
    if len(raw) > max_payload_bytes:
        raise ApiError(
            413,
            ErrorCode.BAD_REQUEST,
            f"The request payload is {len(raw)} bytes; the limit is {max_payload_bytes} bytes.",
            "PayloadTooLarge",
        )
    media = (content_type or "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(
            415,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            "The request body must be JSON (Content-Type: application/json).",
        )
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _bad(
            f"The request body is not valid JSON: {exc}", "InvalidJson", "BadRequest"
        ) from exc
    if not isinstance(body, dict):
        raise _bad("The request body must be a JSON object.", "InvalidJson", ErrorCode.BAD_REQUEST)

    kind = _string(body, "inputKind", "", required=True)
    if kind not in ("PlainText", "SSML"):
        raise _bad("'inputKind' must be 'PlainText' or 'SSML'.", "InvalidInputKind")
    description = _string(body, "description", "")

    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise _bad("'inputs' must be a non-empty array.", "EmptyInputs", ErrorCode.BAD_REQUEST)
    if len(inputs) > MAX_INPUTS:
        raise _bad(
            f"'inputs' has {len(inputs)} items; at most {MAX_INPUTS} are allowed.", "TooManyInputs"
        )
    contents = []
    for i, item in enumerate(inputs):
        if not isinstance(item, dict):
            raise _bad(f"'inputs[{i}]' must be an object with 'content'.", "InvalidInput")
        content = item.get("content")
        if not isinstance(content, str) or not content.strip():
            raise _bad(f"'inputs[{i}].content' must be a non-empty string.", "EmptyInput")
        if kind == "SSML":
            reason = check_ssml(content)
            if reason:
                raise _bad(f"'inputs[{i}].content' is not valid SSML: {reason}", "InvalidSsml")
        contents.append(content)

    config = body.get("synthesisConfig")
    synthesis: dict | None = None
    if config is not None:
        if not isinstance(config, dict):
            raise _bad("'synthesisConfig' must be an object.", "InvalidPropertyType")
        synthesis = {}
        for key in ("voice", "style", "rate", "pitch", "volume"):
            value = _string(config, key, "synthesisConfig.")
            if value is not None:
                synthesis[key] = value
        if "backgroundAudio" in config:
            synthesis["backgroundAudio"] = config["backgroundAudio"]
    if kind == "PlainText" and not (synthesis or {}).get("voice", "").strip():
        raise _bad(
            "'synthesisConfig.voice' is required when 'inputKind' is 'PlainText'.",
            "MissingVoice",
            ErrorCode.BAD_REQUEST,
        )

    custom = body.get("customVoices")
    if custom not in (None, {}):
        if not isinstance(custom, dict):
            raise _bad("'customVoices' must be an object.", "InvalidPropertyType")
        names = ", ".join(sorted(map(str, custom)))
        raise _bad(
            f"Custom voice deployments are not available (customVoices: {names}).",
            "InvalidCustomVoice",
        )

    props = body.get("properties")
    if props is None:
        props = {}
    if not isinstance(props, dict):
        raise _bad("'properties' must be an object.", "InvalidPropertyType")
    out_props: dict = {}
    ttl = props.get("timeToLiveInHours", MAX_TTL_HOURS)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= MAX_TTL_HOURS:
        raise _bad(
            f"'properties.timeToLiveInHours' must be an integer from 0 to {MAX_TTL_HOURS}.",
            "InvalidTimeToLive",
        )
    out_props["timeToLiveInHours"] = ttl
    fmt_name = _string(props, "outputFormat", "properties.") or DEFAULT_FORMAT
    fmt = lookup(fmt_name)
    if fmt is None:
        if fmt_name.strip().lower() in UNSUPPORTED:
            raise _bad(
                f"The output format '{fmt_name}' is valid for Azure but the emulator cannot "
                "produce it (supported: riff-/raw- PCM, A-law, mu-law, audio-*-mp3).",
                "UnsupportedOutputFormat",
            )
        raise _bad(f"'{fmt_name}' is not a valid output format.", "InvalidOutputFormat")
    out_props["outputFormat"] = fmt.name
    for key in _BOOLS:
        value = props.get(key, False)
        if not isinstance(value, bool):
            raise _bad(f"'properties.{key}' must be true or false.", "InvalidPropertyType")
        out_props[key] = value
    destination = _string(props, "destinationContainerUrl", "properties.")
    if destination is not None:
        check_destination(destination)
        out_props["destinationContainerUrl"] = destination
    path = _string(props, "destinationPath", "properties.")
    if path is not None:
        if destination is None:
            raise _bad(
                "'properties.destinationPath' needs 'properties.destinationContainerUrl'.",
                "InvalidDestinationPath",
            )
        if ".." in path.split("/") or path.startswith("/"):
            raise _bad(
                "'properties.destinationPath' must be a relative path.", "InvalidDestinationPath"
            )
        out_props["destinationPath"] = path.strip("/")

    definition: dict = {"inputKind": kind, "inputs": [{"content": c} for c in contents]}
    if synthesis is not None:
        definition["synthesisConfig"] = synthesis
    if description is not None:
        definition["description"] = description
    definition["customVoices"] = {}
    definition["properties"] = out_props
    return definition


def query_integer(
    params: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int,
    code: str = ErrorCode.BAD_ARGUMENT,
    inner: str = "InvalidPaging",
) -> int:
    """A whole-number query parameter within [low, high], or a 400 naming it."""
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ApiError(400, code, f"'{name}' must be an integer from {low} to {high}.", inner)
    return value
