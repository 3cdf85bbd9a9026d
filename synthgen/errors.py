"""User-facing errors.

Anything the user can fix (a bad option, a missing model, an unwritable folder) is raised as
`SynthgenError`; the CLI prints its message on one line and exits with `exit_code`, never with a
traceback. Programming errors stay ordinary exceptions so they are not hidden.
"""


class SynthgenError(Exception):
    """An error caused by user input or environment, reported as one line and exit code 2."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code
