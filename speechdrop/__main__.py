"""Entry point: `python -m speechdrop`."""

from speechdrop.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
