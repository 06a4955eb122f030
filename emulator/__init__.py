"""A local stand-in for Azure Speech batch synthesis (api-version 2024-04-01) and the Long
Audio API (v3.0), with real speech.

Development and test only. It shares no code with `shared/` (it is the other side of a
wire). Start it with `python -m emulator --port N [--key K]`; see `emulator/README.md`.

Modules: `__main__` (CLI), `config` (settings), `app` (HTTP routes), `store` (jobs,
lifecycle, the one worker thread), `validation` (request checks), `errors` (API errors),
`ssml` (Azure SSML → synthesis pieces), `speech` (espeak-ng through ctypes), `voices`
(Azure voice names → espeak voices), `audio` (formats, encoding), `results` (zip, summary,
destination container upload), `faults` (injected failures), `ratelimit` (429s),
`signing` (expiring result URLs), `longaudio` (the Long Audio API routes) and
`longaudio_script` (its multipart scripts and input rules).
"""

API_VERSION = "2024-04-01"

__all__ = ["API_VERSION"]
