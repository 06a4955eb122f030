"""speechdrop's command-line tool: `python -m speechdrop` (see `speechdrop.cli`).

It drives Azure Speech batch synthesis (or the local emulator) directly, with the same
`shared/` code as the function app: the same settings, file conventions, REST client and
jobs table. It is a developer and operator tool and is not deployed with the app.
"""
