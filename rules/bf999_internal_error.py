from bflint.rule import Rule


class InternalError(Rule):
    """## What it does
    Reports that bflint itself failed while checking a file (a bug in bflint,
    not in your code). The other files are still checked and the run exits
    with status 2.

    ## Why is this bad?
    The file was not (fully) checked. Please report the problem with the file
    that triggers it; `--show-traceback` adds the traceback to the message.

    ## Example
    ```console
    $ bflint weird.py
    weird.py:1:1: BF999 internal error while checking this file: ...
    ```

    ## Use instead
    Report the issue; meanwhile exclude the file with `--exclude`.
    """

    CODE = "BF999"
    NAME = "internal-error"
    SEVERITY = "E"
    MESSAGE = "internal error: {detail}"
