"""Entry script of the frozen app (PyInstaller): the same as the ``bpstudio`` command."""

from bpstudio.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
