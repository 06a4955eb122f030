"""speechdrop benchmarks: numbers, printed beside their goals and a baseline; never asserted.

`python -m bench` (or `make bench`) runs every figure against Azurite and the batch
synthesis emulator through the app's own trigger functions; `--only` picks figures and
`--quick` shrinks every size (the smoke test uses it). See `bench.__main__`.
"""
